namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// Names a piece of the file in an error message ("program header 3", "section 5 (.symtab)").
/// A struct so the parser can describe every piece it checks without formatting a string
/// unless the check fails.
/// </summary>
internal readonly struct ElfPart(string kind, long index = -1, string? name = null)
{
    private readonly string _kind = kind;
    private readonly long _index = index;
    private readonly string? _name = name;

    public override string ToString() => (_index >= 0, string.IsNullOrEmpty(_name)) switch
    {
        (true, true) => $"{_kind} {_index}",
        (true, false) => $"{_kind} {_index} ({_name})",
        (false, true) => _kind,
        (false, false) => $"{_kind} ({_name})",
    };
}
