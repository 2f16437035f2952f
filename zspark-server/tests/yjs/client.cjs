// A stock yjs + y-websocket client driven by the Rust tests, one JSON command per
// line on stdin, one JSON answer per line on stdout.
//
//   node client.cjs <server url> <room> <user> [ticket]
//
// Without a ticket the client sends the development identity header (X-Domain-User)
// through a `ws` subclass, as a Node program can; with one it passes `?ticket=`, as a
// browser would. Commands: {"cmd":"insert","text"}, {"cmd":"wait_text","contains"},
// {"cmd":"presence","state"}, {"cmd":"wait_users","users"}, {"cmd":"state"},
// {"cmd":"wait_synced"}, {"cmd":"close"}.
const Y = require('yjs');
const { WebsocketProvider } = require('y-websocket');
const WebSocket = require('ws');
const readline = require('readline');

const [serverUrl, room, user, ticket] = process.argv.slice(2);

class WithIdentity extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { headers: { 'x-domain-user': user } });
  }
}

const doc = new Y.Doc();
const text = doc.getText('draft');
const provider = new WebsocketProvider(serverUrl, room, doc, {
  WebSocketPolyfill: ticket ? WebSocket : WithIdentity,
  params: ticket ? { ticket } : {},
  disableBc: true,
  maxBackoffTime: 500,
});
const closes = [];
const denials = [];
provider.on('connection-close', (event) => {
  if (event) closes.push({ code: event.code, reason: String(event.reason || '') });
});
provider.on('status', () => wake());
provider.on('sync', () => wake());
text.observe(() => wake());
provider.awareness.on('change', () => wake());
// y-websocket hands permission-denied auth messages to this hook.
provider.on('connection-error', () => wake());
const originalAuth = provider.messageHandlers[2];
provider.messageHandlers[2] = (encoder, decoder, provider_, emitSynced, messageType) => {
  const copy = require('lib0/decoding').clone(decoder);
  const kind = require('lib0/decoding').readVarUint(copy);
  if (kind === 0) denials.push(require('lib0/decoding').readVarString(copy));
  wake();
  return originalAuth(encoder, decoder, provider_, emitSynced, messageType);
};

let waiters = [];
function wake() {
  const still = [];
  for (const waiter of waiters) {
    if (waiter.ready()) waiter.done(); else still.push(waiter);
  }
  waiters = still;
}
function until(ready) {
  return new Promise((done) => {
    if (ready()) return done();
    waiters.push({ ready, done });
  });
}

function users() {
  return [...provider.awareness.getStates().values()]
    .map((state) => state && state.user)
    .filter(Boolean)
    .sort();
}

function state() {
  return {
    text: text.toString(),
    users: users(),
    synced: provider.synced,
    connected: provider.wsconnected,
    closes,
    denials,
  };
}

async function run(command) {
  switch (command.cmd) {
    case 'wait_synced':
      await until(() => provider.synced);
      break;
    case 'insert':
      text.insert(text.length, command.text);
      break;
    case 'wait_text':
      await until(() => text.toString().includes(command.contains));
      break;
    case 'presence':
      provider.awareness.setLocalStateField('user', command.state.user);
      break;
    case 'wait_users':
      await until(() => command.users.every((name) => users().includes(name)));
      break;
    case 'wait_denied':
      await until(() => denials.length > 0);
      break;
    case 'close':
      provider.destroy();
      break;
    case 'state':
      break;
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
  return state();
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  try {
    const answer = await run(JSON.parse(line));
    process.stdout.write(JSON.stringify(answer) + '\n');
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + '\n');
  }
});
lines.on('close', () => process.exit(0));
