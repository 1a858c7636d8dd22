"""Ingest processors, one module per family; each registers its types with
:func:`loghaven.ingest.pipeline.processor.processor_type`."""

from loghaven.ingest.processors import arrays as arrays
from loghaven.ingest.processors import control as control
from loghaven.ingest.processors import convert as convert
from loghaven.ingest.processors import dates as dates
from loghaven.ingest.processors import dissect as dissect
from loghaven.ingest.processors import dot_expander as dot_expander
from loghaven.ingest.processors import field_edits as field_edits
from loghaven.ingest.processors import fingerprint as fingerprint
from loghaven.ingest.processors import geoip as geoip
from loghaven.ingest.processors import grok as grok
from loghaven.ingest.processors import network as network
from loghaven.ingest.processors import strings as strings
from loghaven.ingest.processors import structured as structured
from loghaven.ingest.processors import urls as urls
from loghaven.ingest.processors import user_agent as user_agent
