"""Pure Kubernetes domain helpers: no I/O, no clients."""
