// Client→server bytes for a tracker in tests, the way the engine's relay feeds it: commands
// through onCommand, LOCAL INFILE and auth data as counted packets through onClientData.
// The relay does this with its own reader; the tracker itself takes no client bytes.
import { type ResponseTracker, readTrackedCommand } from '../../src/tracking/index.js';
import { PacketScanner } from '../../src/wire/packet-scanner.js';

/** Returns a function that takes client chunks, in order, for `tracker`. */
export function createClientFeed(tracker: ResponseTracker): (chunk: Buffer) => void {
  let firstLength = 0;
  let isCommand = false;
  const scanner = new PacketScanner({
    onFrame(_sequenceId, length, isContinuation) {
      if (!isContinuation) firstLength = length;
    },
    onPrefix(buf, start, end) {
      isCommand = tracker.clientPhase === 'command';
      if (isCommand) tracker.onCommand(readTrackedCommand(buf.subarray(start, end), firstLength));
    },
    onPayload() {},
    onPacketEnd(length) {
      if (!isCommand) tracker.onClientData(length);
    },
  });
  // Enough of a command for readTrackedCommand (COM_STMT_EXECUTE's flags are at byte 5).
  scanner.prefixLength = 16;
  return (chunk) => scanner.scan(chunk);
}
