using Isa.Cli.Disassembly;

namespace Isa.Cli.Commands;

/// <summary>
/// <c>isa compare-objdump FILE...</c>: how much of GNU objdump's disassembly ours reproduces, per
/// file and in total, and, with <c>--show N</c>, which objdump mnemonics account for the
/// differences. A low agreement is a result, not an error: the exit status is 0 whenever the
/// comparison ran.
/// </summary>
public sealed class CompareObjdumpCommand : Command
{
    public override string Name => "compare-objdump";

    public override string Synopsis => "isa compare-objdump FILE... [--objdump PATH] [--isa NAME] [--show N]";

    public override string Summary => "compare our disassembly with GNU objdump -d, line by line";

    protected override IReadOnlyList<string> OptionHelp =>
    [
        .. CodeInput.OptionHelp(allowRaw: false),
        "--objdump PATH the objdump to run (default: the cross objdump for the ISA's machine and byte order)",
        "--show N      also list the N objdump mnemonics with the most mismatches, each with an example",
    ];

    protected override IReadOnlyCollection<string> ValueOptions => [.. CodeInput.ValueOptions(allowRaw: false), "--objdump", "--show"];

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        int show = arguments.Int32("--show", 0, minimum: 0);
        if (arguments.Positionals.Count == 0)
        {
            throw new CommandException("missing FILE");
        }

        var results = new List<ObjdumpComparisonResult>();
        foreach (string path in arguments.Positionals)
        {
            CodeImage image = CodeInput.Open(path, arguments, allowRaw: false);
            string objdump = ObjdumpTool.Locate(ObjdumpFlavor.For(image.Isa), arguments.Value("--objdump"), image.Isa.Name);
            ObjdumpComparisonResult result = ObjdumpComparison.Run(image, objdump);
            if (result.Total == 0)
            {
                throw new CommandException($"{Path.GetFileName(objdump)} printed no instructions for {path}: nothing to compare");
            }

            results.Add(result);
            if (arguments.Positionals.Count > 1)
            {
                output.WriteLine(result.Summary);
            }
        }

        ObjdumpComparisonResult total = results.Count == 1 ? results[0] : ObjdumpComparisonResult.Merge($"total of {results.Count} files", results);
        output.Write(total.Describe(show));
        return Success;
    }
}
