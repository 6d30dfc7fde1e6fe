from stolos.cli.main import main

main()
