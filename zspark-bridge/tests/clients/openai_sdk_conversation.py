"""A multi-turn, tool-calling conversation through the bridge, driven by the official
`openai` Python SDK's streaming Responses API. Prints a JSON summary for the Rust test.

Usage: openai_sdk_conversation.py BASE_URL
"""

import json
import sys

from openai import OpenAI

client = OpenAI(base_url=sys.argv[1], api_key="sk-client-key")
tools = [
    {"type": "function", "name": "exec_command", "description": "Run a command.",
     "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}},
    {"type": "custom", "name": "apply_patch", "description": "Edit files with a patch."},
]
history = [{"role": "user", "content": "List the files, then add a note."}]
event_types = set()
event_classes = set()
calls_per_request = []
final_text = None

for _ in range(6):
    final = None
    stream = client.responses.create(model="deepseek-chat", input=history, tools=tools, stream=True, store=False)
    for event in stream:
        event_types.add(event.type)
        event_classes.add(type(event).__name__)
        if event.type == "response.completed":
            final = event.response
        elif event.type in ("response.failed", "response.incomplete"):
            raise SystemExit(f"{event.type}: {event.response}")
    if final is None:
        raise SystemExit("the stream ended without response.completed")
    calls = [item for item in final.output if item.type in ("function_call", "custom_tool_call")]
    calls_per_request.append(sorted(f"{item.type}:{item.name}" for item in calls))
    history += [item.model_dump(exclude_none=True) for item in final.output]
    if not calls:
        final_text = final.output_text
        break
    for call in calls:
        if call.type == "function_call":
            command = json.loads(call.arguments)["cmd"]
            history.append({"type": "function_call_output", "call_id": call.call_id, "output": f"ran: {command}"})
        else:
            history.append({"type": "custom_tool_call_output", "call_id": call.call_id,
                            "output": f"patched {len(call.input.splitlines())} lines"})

print(json.dumps({
    "final_text": final_text,
    "calls_per_request": calls_per_request,
    "event_types": sorted(event_types),
    "event_classes": sorted(event_classes),
}))
