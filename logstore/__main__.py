"""The ``logstore`` command: the cli's commands and the server's ``serve`` on one click group. cli/ and server/
are siblings at the top of the layering and never import each other, so they meet here."""
from logstore.cli import main
from logstore.server.command import serve

main.add_command(serve)

if __name__ == "__main__":
    main()
