using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Commands;

/// <summary><c>isa specs</c>: the generated ISAs, so users know what <c>--isa</c> accepts and how complete each spec is.</summary>
public sealed class SpecsCommand : Command
{
    public override string Name => "specs";

    public override string Synopsis => "isa specs";

    public override string Summary => "list the ISAs built from isa/*.isa";

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new CommandException($"takes no arguments, got: {string.Join(' ', arguments.Positionals)}");
        }

        string[][] rows =
        [
            ["NAME", "ENDIAN", "INSNS", "ELF", "DESCRIPTION"],
            .. IsaCatalog.All.Select(isa => new[]
            {
                isa.Name,
                isa.Endianness == Endianness.Little ? "little" : "big",
                isa.Instructions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ElfFile.MachineName(isa.ElfMachine),
                isa.Description,
            }),
        ];
        int[] widths = Enumerable.Range(0, rows[0].Length - 1).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (string[] row in rows)
        {
            string line = string.Join("  ", row.Take(widths.Length).Select((cell, column) => column == 2 ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column])));
            output.WriteLine($"{line}  {row[^1]}");
        }

        return Success;
    }
}
