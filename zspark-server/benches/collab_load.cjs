// The load side of collab_fanout.py: opens many y-websocket connections and measures
// how long an update takes to reach each of them.
//
//   node collab_load.cjs '<json settings>'
//
// Settings: {"rooms": [url, ...], "listeners": N, "rounds": N, "interval_ms": N,
// "headers": {...}, "mode": "sync" | "feed", "trigger": {...}}.
//
// mode "sync": per room one writer (a Y.Doc whose edits are sent as sync updates) and
// N raw listeners; every update's send time is compared with its arrival at each
// listener. mode "feed": N listeners on one live-activity URL; the Python side makes
// the changes and tells this process when (a line on stdin), and the arrival of the
// next activity entry is timed. mode "storm": N clients connect to one room all at
// once (as after a restart), each timed from its first attempt until the document's
// state (the answer to its sync step 1) arrives; an attempt that fails is retried
// after 250-500 ms, and counted.
//
// Prints one JSON line when connected ({"connected": n}), waits for "go" on stdin, and
// prints the results ({"latencies_ms": {...}}) when done.
const Y = require('yjs');
const WebSocket = require('ws');
const encoding = require('lib0/encoding');
const readline = require('readline');

const settings = JSON.parse(process.argv[2]);
const headers = settings.headers || {};

function open(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.binaryType = 'nodebuffer';
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function openAll(urls, perBatch = 50) {
  const sockets = [];
  for (let i = 0; i < urls.length; i += perBatch) {
    sockets.push(...(await Promise.all(urls.slice(i, i + perBatch).map(open))));
  }
  return sockets;
}

function updateFrame(update) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, 2);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function syncMode() {
  const rooms = [];
  for (const url of settings.rooms) {
    const writer = await open(url);
    const listeners = await openAll(Array(settings.listeners).fill(url));
    const room = { writer, listeners, sent: [], doc: new Y.Doc(), latencies: [] };
    for (const listener of listeners) {
      let seen = 0;
      listener.on('message', (data) => {
        // A sync update (0, 2): the writer's edits arrive in order.
        if (data[0] === 0 && data[1] === 2) {
          const sentAt = room.sent[seen++];
          if (sentAt !== undefined) room.latencies.push(now() - sentAt);
        }
      });
    }
    rooms.push(room);
  }
  return rooms;
}

async function runSync(rooms) {
  for (let round = 0; round < settings.rounds; round++) {
    for (const room of rooms) {
      const before = Y.encodeStateVector(room.doc);
      room.doc.getText('turn').insert(room.doc.getText('turn').length, `token ${round} `);
      const update = Y.encodeStateAsUpdate(room.doc, before);
      room.sent.push(now());
      room.writer.send(updateFrame(update));
    }
    await new Promise((resolve) => setTimeout(resolve, settings.interval_ms));
  }
  const expected = settings.rounds * settings.listeners;
  const deadline = now() + 30000;
  while (rooms.some((room) => room.latencies.length < expected) && now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const all = rooms.flatMap((room) => room.latencies);
  return { latencies_ms: summary(all), delivered: all.length, expected: expected * rooms.length };
}

// Connects to `url` and resolves with the socket once the answer to its sync step 1
// (a sync step 2, 0 1) arrives.
function openAndCatchUp(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.binaryType = 'nodebuffer';
    socket.once('open', () => socket.send(Uint8Array.of(0, 0, 1, 0)));
    socket.on('message', (data) => {
      if (data[0] === 0 && data[1] === 1) resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before catching up')));
  });
}

async function stormMode() {
  const url = settings.rooms[0];
  const sockets = [];
  const times = [];
  let retried = 0;
  const started = now();
  const join = async () => {
    const first = now();
    for (;;) {
      try {
        sockets.push(await openAndCatchUp(url));
        times.push(now() - first);
        return;
      } catch (error) {
        retried++;
        await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 250));
      }
    }
  };
  await Promise.all(Array.from({ length: settings.listeners }, join));
  return { connected: sockets.length, all_ms: now() - started, latencies_ms: summary(times), retried };
}

async function main() {
  const input = readline.createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  if (settings.mode === 'storm') {
    console.log(JSON.stringify(await stormMode()));
  } else if (settings.mode === 'sync') {
    const rooms = await syncMode();
    const connections = rooms.length * (settings.listeners + 1);
    console.log(JSON.stringify({ connected: connections }));
    await lines.next();
    console.log(JSON.stringify(await runSync(rooms)));
  } else {
    const listeners = await openAll(Array(settings.listeners).fill(settings.rooms[0]));
    const latencies = [];
    let changedAt = null;
    let arrived = 0;
    for (const listener of listeners) {
      listener.on('message', (data, binary) => {
        if (binary) return;
        const message = JSON.parse(data.toString());
        if (message.type === 'activity' && changedAt !== null) {
          latencies.push(now() - changedAt);
          arrived++;
        }
      });
    }
    console.log(JSON.stringify({ connected: listeners.length }));
    await lines.next();
    for (let round = 0; round < settings.rounds; round++) {
      arrived = 0;
      changedAt = now();
      console.log(JSON.stringify({ change: round }));
      await lines.next();
      const deadline = now() + 10000;
      while (arrived < listeners.length && now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    console.log(JSON.stringify({ latencies_ms: summary(latencies), delivered: latencies.length, expected: settings.rounds * listeners.length }));
  }
  process.exit(0);
}

main().catch((error) => {
  console.log(JSON.stringify({ error: String(error) }));
  process.exit(1);
});
