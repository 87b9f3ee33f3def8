"""gRPC contract of RES (``recommender.proto``) and its generated, committed Python stubs."""
