/**
 * Host tasks live in the SSPI surface (`sspi/host-task.ts`), the lowest layer, since the surface's
 * establishing calls are written as host tasks; the service and the packages keep importing them
 * from here.
 *
 * @module
 */
export {
  type HostTask,
  type Reply,
  reply,
  runTask,
  runTaskBlocking,
  WouldWaitError,
} from "../sspi/host-task.js";
