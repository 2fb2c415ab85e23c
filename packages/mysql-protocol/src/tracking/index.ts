// Public surface of mysql/tracking: the state machine that follows server replies.
export type {
  BinlogEndOutcome,
  ErrOutcome,
  FetchOutcome,
  FieldListOutcome,
  LocalInfileOutcome,
  NoReplyOutcome,
  OkOutcome,
  PreparedOutcome,
  ProgressReport,
  ResponseOutcome,
  ResultSetOutcome,
  StatisticsOutcome,
} from './outcome.js';
export {
  type ClientPhase,
  createResponseTracker,
  type OkPacketListener,
  ResponseTracker,
  type ResponseTrackerOptions,
} from './response-tracker.js';
export { readTrackedCommand, type TrackedCommand } from './tracked-command.js';
