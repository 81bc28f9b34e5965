namespace Isa.Runtime.Loaders.Elf;

/// <summary>EI_CLASS: the width of the file's addresses and offsets. Only 32-bit files parse for now.</summary>
public enum ElfClass : byte
{
    None = 0,
    Elf32 = 1,
    Elf64 = 2,
}
