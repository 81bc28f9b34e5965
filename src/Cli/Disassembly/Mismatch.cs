namespace Isa.Cli.Disassembly;

/// <summary>One address where our disassembly differs from objdump's, both normalized.</summary>
/// <param name="File">The file it is in (comparisons of several files are merged).</param>
/// <param name="Ours">Our text, or a description in angle brackets when we have none (<c>&lt;we read 0x...&gt;</c>).</param>
public sealed record Mismatch(string File, string Section, ulong Address, ulong Word, string Objdump, string Ours);
