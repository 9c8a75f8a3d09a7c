// Every Durable Object class the manifest binds. worker/env.ts types bindings from this module, and the worker
// entry re-exports it so the bundle exports each class (the build verifies that against the manifest).

export { ChatRoom } from "./chat-room.ts";
export { ClientSockets } from "./client-sockets.ts";
export { Counter } from "./counter.ts";
export { Scheduler } from "./scheduler.ts";
