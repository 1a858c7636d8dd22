"""The benchmark suite behind ``loghaven bench``: generators, baseline, HTTP scenarios."""
