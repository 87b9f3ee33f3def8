"""Analytics and reporting service (ARS): SQL reports over the lake, exports, Athena/Glue DDL."""
