// Tests that fail through the gateway on purpose: the gateway's documented policies, explained
// in docs/conformance.md. A test that passes direct and fails through the gateway and is not
// here is a defect.
export const GATEWAY_POLICIES: Readonly<Record<string, string>> = {};
