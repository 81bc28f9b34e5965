using System.Text;

namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// A string table section (section names or symbol names). <see cref="None"/> stands for an absent
/// table (e_shstrndx = SHN_UNDEF), whose names all read as empty.
/// </summary>
internal readonly ref struct ElfStringTable
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly ElfPart _table;
    private readonly bool _present;

    public ElfStringTable(ReadOnlySpan<byte> bytes, ElfPart table)
    {
        _bytes = bytes;
        _table = table;
        _present = true;
    }

    public static ElfStringTable None => default;

    /// <summary>The NUL-terminated name at <paramref name="offset"/>, for <paramref name="owner"/>'s error messages.</summary>
    public string Read(in ElfReader reader, uint offset, ElfPart owner) =>
        _present ? Encoding.UTF8.GetString(Bytes(reader, offset, owner)) : string.Empty;

    /// <summary>Throws what <see cref="Read"/> would, without building the string.</summary>
    public void Check(in ElfReader reader, uint offset, ElfPart owner)
    {
        if (_present)
        {
            Bytes(reader, offset, owner);
        }
    }

    private ReadOnlySpan<byte> Bytes(in ElfReader reader, uint offset, ElfPart owner)
    {
        if (offset >= (uint)_bytes.Length)
        {
            throw reader.Error($"{owner} name offset 0x{offset:x} out of range ({_table} size 0x{_bytes.Length:x})");
        }

        ReadOnlySpan<byte> rest = _bytes[(int)offset..];
        int length = rest.IndexOf((byte)0);
        if (length < 0)
        {
            throw reader.Error($"{owner} name at offset 0x{offset:x} of {_table} is not NUL-terminated");
        }

        return rest[..length];
    }
}
