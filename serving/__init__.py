"""Model serving: BentoML services RES (recommendations) and LPS (paths), gRPC between them."""
