"""Model serving: BentoML services RES (recommendations) and LPS (learning paths), gRPC between them."""
