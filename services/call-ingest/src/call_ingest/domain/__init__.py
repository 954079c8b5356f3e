"""Pure call-ingest policies: where a call goes, and which call facts a webhook states."""
