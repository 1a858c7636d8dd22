"""Moving indices through their life: warm migration (migration.py), Index State Management
policies (ism/), snapshots and their repositories (snapshots/), snapshot management policies
(sm/). Each is a service on the node that calls the engine and the search and write services
directly and runs its long work as resumable, recorded steps on the node's scheduler."""
