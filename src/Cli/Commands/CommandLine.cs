namespace Isa.Cli.Commands;

/// <summary>
/// The <c>isa</c> command line: picks the subcommand named by the first argument. Hand-written
/// rather than a parsing package because there are only a few commands with a few options each.
/// </summary>
public static class CommandLine
{
    /// <summary>Every subcommand, in the order <c>isa --help</c> lists them.</summary>
    public static IReadOnlyList<Command> Commands { get; } =
    [
        new RunCommand(),
        new SpecsCommand(),
        new DisasmCommand(),
        new CompareObjdumpCommand(),
        new BenchDecodeCommand(),
    ];

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count == 0)
        {
            WriteUsage(error);
            return Command.Failure;
        }

        if (args[0] is "--help" or "-h" or "help")
        {
            WriteUsage(output);
            return Command.Success;
        }

        Command? command = Commands.FirstOrDefault(candidate => candidate.Name == args[0]);
        if (command is null)
        {
            return ReportError(error, $"unknown command '{args[0]}' (commands: {string.Join(", ", Commands.Select(known => known.Name))}; see isa --help)");
        }

        try
        {
            return command.Run(args.Skip(1).ToArray(), output, error);
        }
        catch (Exception bug) when (Environment.GetEnvironmentVariable("ISA_STACK_TRACE") is null or "" or "0")
        {
            // Not a user error: still one line, with a way to get the details.
            return ReportError(error, $"internal error: {bug.GetType().Name}: {bug.Message} (set ISA_STACK_TRACE=1 for the stack trace)");
        }
    }

    public static void WriteUsage(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("usage: isa COMMAND [ARGS]   (isa COMMAND --help for its options)");
        output.WriteLine();
        int width = Commands.Max(command => command.Synopsis.Length);
        foreach (Command command in Commands)
        {
            output.WriteLine($"  {command.Synopsis.PadRight(width)}  {command.Summary}");
        }
    }

    /// <summary>Prints <paramref name="message"/> as the single <c>isa: ...</c> line of a failed command and returns its exit status.</summary>
    public static int ReportError(TextWriter error, string message)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(message);
        string oneLine = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        error.WriteLine($"isa: {oneLine}");
        return Command.Failure;
    }
}
