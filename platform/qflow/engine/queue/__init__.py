"""The execution engine: workflow nodes as jobs, PostgreSQL (or the embedded SQLite) as the truth of
every execution's state, RQ on Redis (or a thread pool, in-process) as the way jobs reach a worker.

- `snapshot` — what a worker needs, frozen into the execution when it is created;
- `state` — every transition, as conditional UPDATEs in one short transaction each;
- `dispatch` — RQ (JSON serializer) or a local thread pool;
- `runtime` — a process's containers per execution, heartbeats, the node runner;
- `jobs` — the RQ job function; `worker` — `qflow worker`; `reconciler` — crash and Redis recovery;
- `files` — outputs too big to keep inline; `submit` — start, control and wait for executions.
"""
