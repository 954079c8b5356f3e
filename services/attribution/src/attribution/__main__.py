from attribution.bootstrap import main

main()
