using Isa.Cli.Disassembly;

namespace Isa.Cli.Commands;

/// <summary><c>isa disasm FILE</c>: our disassembly in objdump -d's layout, so the two can be diffed.</summary>
public sealed class DisasmCommand : Command
{
    public override string Name => "disasm";

    public override string Synopsis => "isa disasm FILE [--isa NAME] [--base ADDR]";

    public override string Summary => "disassemble the executable sections of an ELF file (or a raw binary) like objdump -d";

    protected override IReadOnlyList<string> OptionHelp => CodeInput.OptionHelp(allowRaw: true);

    protected override IReadOnlyCollection<string> ValueOptions => CodeInput.ValueOptions(allowRaw: true);

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        CodeImage image = CodeInput.Open(arguments.SinglePositional("FILE"), arguments, allowRaw: true);
        ObjdumpListingWriter.Write(new ObjdumpRenderer(image, ObjdumpFlavor.For(image.Isa)), output);
        return Success;
    }
}
