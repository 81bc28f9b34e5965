using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Tests.Loaders;

/// <summary>
/// Parses real Debian mipsel binaries from the sysroot that scripts/setup-deps.sh builds. They are
/// required, not optional: a missing file fails with the command that provides it.
/// </summary>
[Trait("Requires", "deps")]
public sealed class ElfRealBinaryTests
{
    [Fact]
    public void StaticBusyboxIsALittleEndianMipsExecutable()
    {
        ElfFile elf = ElfFile.Load(SysrootFile("bin/busybox"));

        Assert.Equal(ElfMachine.Mips, elf.Machine);
        Assert.Equal("MIPS", ElfFile.MachineName(elf.Machine));
        Assert.Equal(Endianness.Little, elf.Endianness);
        Assert.Equal(ElfType.Executable, elf.Type);
        Assert.Null(elf.Interpreter);
        ElfSection text = Assert.Single(elf.ExecutableSections, section => section.Name == ".text");
        Assert.True(text.Data.Length > 0x10000);
        Assert.True(text.Contains(elf.Entry));
        Assert.Contains(elf.ProgramHeaders, header => header.Type == ElfSegmentType.Load && header.Flags.HasFlag(ElfSegmentFlags.Execute));
        Assert.Contains(elf.ProgramHeaders, header => header.Type == ElfSegmentType.Tls);
    }

    [Fact]
    public void DynamicLuaHasAnInterpreterAndDynamicSymbols()
    {
        ElfFile elf = ElfFile.Load(SysrootFile("usr/bin/lua5.4"));

        Assert.Equal(ElfMachine.Mips, elf.Machine);
        Assert.Equal(ElfType.SharedObject, elf.Type); // Debian builds position-independent executables
        Assert.Equal("/lib/ld.so.1", elf.Interpreter);
        ElfSymbol getField = elf.FindSymbol("lua_getfield")!;
        Assert.Equal(ElfSymbolType.Func, getField.Type);
        Assert.Equal(".text", elf.Sections[getField.SectionIndex].Name);
        string? label = elf.SymbolAt(getField.Value + 8, out ulong offset);
        Assert.Equal(8ul, offset);
        Assert.Equal(getField.Value, elf.FindSymbol(label!)!.Value);
    }

    private static string SysrootFile(string relativePath)
    {
        string path = Path.Combine(RepositoryRoot(), ".deps", "sysroot-mipsel", relativePath);
        Assert.True(File.Exists(path), $"{path} is missing: run `bash scripts/setup-deps.sh` first");
        return path;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Directory.Build.props above {AppContext.BaseDirectory}");
    }
}
