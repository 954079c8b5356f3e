from number_allocator.bootstrap import main

main()
