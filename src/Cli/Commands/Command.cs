using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Commands;

/// <summary>
/// One subcommand of <c>isa</c>. <see cref="Run"/> is the whole contract: it parses the
/// arguments the command declares, runs it, and turns every user error into one
/// <c>isa: ...</c> line on stderr with exit status 2. Tests call it in-process with their own writers.
/// </summary>
public abstract class Command
{
    /// <summary>Exit status of a command that printed its result.</summary>
    public const int Success = 0;

    /// <summary>Exit status for every user error: bad arguments, missing or malformed input, missing tools.</summary>
    public const int Failure = 2;

    /// <summary>The word after <c>isa</c> that selects the command.</summary>
    public abstract string Name { get; }

    /// <summary>The synopsis line, e.g. <c>isa disasm FILE [--isa NAME]</c>.</summary>
    public abstract string Synopsis { get; }

    /// <summary>What the command does, in one line, for <c>isa --help</c>.</summary>
    public abstract string Summary { get; }

    /// <summary>The options and their meaning, one per line, for <c>isa NAME --help</c>.</summary>
    protected virtual IReadOnlyList<string> OptionHelp => [];

    /// <summary>Options that take a value, with their leading <c>--</c>.</summary>
    protected virtual IReadOnlyCollection<string> ValueOptions => [];

    /// <summary>Options that are plain switches, with their leading <c>--</c>.</summary>
    protected virtual IReadOnlyCollection<string> FlagOptions => [];

    /// <summary>True for commands whose first positional starts arguments of their own (a guest program's).</summary>
    protected virtual bool OptionsEndAtPositional => false;

    /// <summary>Runs the command; returns the process exit status.</summary>
    public int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            CommandArguments arguments = CommandArguments.Parse(args, ValueOptions, FlagOptions, OptionsEndAtPositional);
            if (arguments.Flag("--help"))
            {
                WriteHelp(output);
                return Success;
            }

            return Execute(arguments, output);
        }
        catch (CommandException problem)
        {
            return CommandLine.ReportError(error, $"{Name}: {problem.Message}");
        }
        catch (ElfFormatException problem)
        {
            // Its message already names the file.
            return CommandLine.ReportError(error, problem.Message);
        }
    }

    public void WriteHelp(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"usage: {Synopsis}");
        output.WriteLine(Summary);
        foreach (string line in OptionHelp)
        {
            output.WriteLine($"  {line}");
        }
    }

    protected abstract int Execute(CommandArguments arguments, TextWriter output);
}
