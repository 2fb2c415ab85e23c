// The engine's diagnostics on diag_listen: /healthz (the process is up), /readyz (connected to a
// proxy and the cluster state is known), /metrics (Prometheus text). The server itself is the
// one every part uses (the proxy's is on proxy.diag_listen).
export { type DiagServerOptions, startDiagServer } from '@gatehouse/common/metrics';
