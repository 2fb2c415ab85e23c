// Joining the cluster with a token and the host CA pin, and renewing the host certificate.
export {
  type HostCredentialKeeper,
  type HostCredentials,
  type JoinOptions,
  joinCluster,
  keepHostCredentials,
  loadHostCredentials,
  renewHostCredentials,
} from './join-client.js';
export { checkPinnedChain, type JsonResponse, type PostJsonOptions, postJson, spkiPin } from './pinned-request.js';
