"""OpenSearch's Index State Management: policies (policy.py), their store and the managed
indices' records (store.py, managed.py), the API's operations and ``ism_template``
auto-attach (service.py), and the runs that move each managed index through its policy's
states, actions and transitions (runner.py, actions.py, conditions.py)."""
