/**
 * The bounds on what a server keeps in user space for one connection, in one place. A
 * peer that sends and never reads costs a server at most these (plus the kernel's own
 * socket buffers, which are the kernel's to bound): past them, reading pauses until the
 * handler has taken what was read, and a send waits until the peer has drained what was
 * sent, as Node's `net` does with highWaterMark and pause() / resume(), and Twisted's
 * transports with pauseProducing() / resumeProducing().
 */

/**
 * Bytes read from the kernel that the handler has not taken yet, per connection: at 64 KiB
 * reading pauses, and it goes on once the handler has taken half of them. (Node's own
 * readable buffer in front of it holds at most one highWaterMark more, 64 KiB.)
 */
export const READ_AHEAD_BYTES = 64 * 1024

/**
 * Bytes a handler has sent that the kernel has not taken yet, per connection: the output
 * buffer of select --write-select and of the reactor's transports, the bytes in flight
 * from a worker thread to the socket its main thread writes. A send past it waits (a
 * `block` on send) until they are down to half; so at most this plus one send.
 */
export const SEND_AHEAD_BYTES = 64 * 1024
