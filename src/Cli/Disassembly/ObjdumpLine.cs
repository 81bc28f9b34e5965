namespace Isa.Cli.Disassembly;

/// <summary>One instruction line of <c>objdump -d</c> output.</summary>
/// <param name="Section">The section named by the last "Disassembly of section" header.</param>
/// <param name="Address">The instruction's address.</param>
/// <param name="Word">The raw column as a number (objdump prints the word's value, whatever the byte order).</param>
/// <param name="Text">Mnemonic and operands exactly as printed, symbol annotations and comments included.</param>
public readonly record struct ObjdumpLine(string Section, ulong Address, ulong Word, string Text)
{
    /// <summary>The text as compared: see <see cref="ObjdumpListing.Normalize"/>.</summary>
    public string NormalizedText => ObjdumpListing.Normalize(Text);
}
