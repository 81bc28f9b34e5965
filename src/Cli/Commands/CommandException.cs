namespace Isa.Cli.Commands;

/// <summary>
/// A problem the user can fix: bad arguments, a missing file or tool, an unknown ISA. Commands
/// throw it anywhere; <see cref="Command.Run"/> prints its message as one <c>isa: ...</c> line on
/// stderr and exits with status 2, so no user error ever shows a stack trace.
/// </summary>
public sealed class CommandException : Exception
{
    public CommandException(string message)
        : base(message)
    {
    }

    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
