from crm_sync.bootstrap import main

main()
