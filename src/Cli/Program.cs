using Isa.Cli.Commands;

namespace Isa.Cli;

/// <summary>Entry point of the <c>isa</c> command; everything else lives in <see cref="CommandLine"/> so tests can run it in-process.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // Console.Out flushes on every write; a disassembly is half a million lines.
        using var output = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { AutoFlush = false };
        int status = CommandLine.Run(args, output, Console.Error);
        output.Flush();
        if (RunCommand.FatalHostSignal is { } signal)
        {
            Console.Error.Flush();
            Isa.Runtime.Linux.HostProcess.ExitBySignal(signal);
        }

        return status;
    }
}
