from call_ingest.bootstrap import main

main()
