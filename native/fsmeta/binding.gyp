{ "targets": [ { "target_name": "fsmeta", "sources": ["fsmeta.c"], "cflags": ["-O2", "-Wall"] } ] }
