using System.Globalization;
using Isa.Cli.Benchmarks;
using Isa.Cli.Disassembly;

namespace Isa.Cli.Commands;

/// <summary><c>isa bench-decode FILE</c>: throughput of the generated decoder and disassembler on real code.</summary>
public sealed class BenchDecodeCommand : Command
{
    public override string Name => "bench-decode";

    public override string Synopsis => "isa bench-decode FILE [--iterations N] [--isa NAME] [--base ADDR]";

    public override string Summary => "time Decode and Disassemble over every instruction word of the code";

    protected override IReadOnlyList<string> OptionHelp =>
    [
        "--iterations N  passes over the code per measurement (default 20)",
        .. CodeInput.OptionHelp(allowRaw: true),
    ];

    protected override IReadOnlyCollection<string> ValueOptions => [.. CodeInput.ValueOptions(allowRaw: true), "--iterations"];

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        int iterations = arguments.Int32("--iterations", 20, minimum: 1);
        CodeImage image = CodeInput.Open(arguments.SinglePositional("FILE"), arguments, allowRaw: true);
        DecodeBenchmarkResult result = DecodeBenchmark.Run(image, iterations);
        if (result.Words == 0)
        {
            throw new CommandException($"{image.Path} has no instruction words to decode");
        }

        CultureInfo invariant = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(invariant, $"{image.Path}: {result.Isa}, {result.Words} words ({result.Decoded * 100.0 / result.Words:F1}% decode), {iterations} passes"));
        output.WriteLine(string.Create(invariant, $"  decode       {result.DecodesPerSecond / 1e6,8:F1} M instructions/s  ({result.DecodeTime.TotalSeconds:F3} s)"));
        output.WriteLine(string.Create(invariant, $"  disassemble  {result.DisassemblesPerSecond / 1e6,8:F1} M instructions/s  ({result.DisassembleTime.TotalSeconds:F3} s)"));
        return Success;
    }
}
