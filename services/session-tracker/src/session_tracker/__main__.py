from session_tracker.bootstrap import main

main()
