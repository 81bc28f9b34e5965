using Isa.Runtime.Memory;

namespace Isa.Runtime.Cpu;

/// <summary>Runs a spec's test vectors on any CPU engine and reports every mismatch.</summary>
public static class SpecTestRunner
{
    /// <summary>Runs one vector on a fresh CPU made by <paramref name="createCpu"/>; returns the mismatches (empty when it passes).</summary>
    public static IReadOnlyList<string> Run(GuestIsa isa, SpecTestVector vector, Func<GuestMemory, ICpu>? createCpu = null)
    {
        using var memory = new GuestMemory();
        var failures = new List<string>();
        uint codeBytes = (uint)(vector.Words.Count * isa.InstructionBytes);
        memory.Map(SpecTestVector.CodeAddress, Math.Max(codeBytes, 1), MemoryPermissions.ReadExecute);
        var code = new byte[codeBytes];
        for (int i = 0; i < vector.Words.Count; i++)
        {
            WriteValue(isa, code.AsSpan(i * isa.InstructionBytes), isa.InstructionBytes, vector.Words[i]);
        }

        memory.Poke(SpecTestVector.CodeAddress, code);
        foreach (MemoryValue value in vector.MemorySetup.Concat(vector.ExpectedMemory))
        {
            if (!memory.IsMapped(value.Address) || !memory.IsMapped(value.Address + (uint)value.Bytes - 1))
            {
                memory.Map(value.Address, (uint)value.Bytes, MemoryPermissions.ReadWrite);
            }
        }

        foreach (MemoryValue value in vector.MemorySetup)
        {
            var bytes = new byte[value.Bytes];
            WriteValue(isa, bytes, value.Bytes, value.Value);
            memory.Poke(value.Address, bytes);
        }

        ICpu cpu = (createCpu ?? isa.CreateCpu)(memory);
        cpu.Pc = SpecTestVector.CodeAddress;
        foreach (RegisterValue reg in vector.Setup)
        {
            if (reg.File == RegisterValue.ProgramCounter)
            {
                cpu.Pc = reg.Value;
            }
            else
            {
                cpu.SetRegister(reg.File, reg.Index, reg.Value);
            }
        }

        if (vector.ExpectedDisassembly is { } text)
        {
            string? actual = isa.Disassemble(vector.Words[0], SpecTestVector.CodeAddress);
            if (actual != text)
            {
                failures.Add($"disassembly: expected \"{text}\", got \"{actual}\"");
            }
        }

        CpuExit exit = cpu.Run(vector.Steps);
        TrapKind actualTrap = exit.Kind;
        TrapKind expectedTrap = vector.ExpectedTrap ?? TrapKind.BudgetExhausted;
        if (actualTrap != expectedTrap)
        {
            failures.Add($"expected {(vector.ExpectedTrap is null ? "no trap" : expectedTrap.ToString())}, got {exit}");
        }

        foreach (RegisterValue reg in vector.Expected)
        {
            ulong actual = reg.File == RegisterValue.ProgramCounter ? cpu.Pc : cpu.GetRegister(reg.File, reg.Index);
            if (actual != reg.Value)
            {
                failures.Add($"{RegisterName(isa, reg)}: expected 0x{reg.Value:x}, got 0x{actual:x}");
            }
        }

        foreach (MemoryValue value in vector.ExpectedMemory)
        {
            var bytes = new byte[value.Bytes];
            memory.Peek(value.Address, bytes);
            ulong actual = ReadValue(isa, bytes, value.Bytes);
            if (actual != value.Value)
            {
                failures.Add($"mem{value.Bytes * 8}[0x{value.Address:x}]: expected 0x{value.Value:x}, got 0x{actual:x}");
            }
        }

        return failures;
    }

    private static string RegisterName(GuestIsa isa, RegisterValue reg)
    {
        if (reg.File == RegisterValue.ProgramCounter)
        {
            return "pc";
        }

        RegisterFileInfo file = isa.Registers[reg.File];
        return file.Count == 1 ? file.Name : $"{file.Name}[{reg.Index}]";
    }

    private static void WriteValue(GuestIsa isa, Span<byte> target, int bytes, ulong value)
    {
        for (int i = 0; i < bytes; i++)
        {
            int shift = isa.Endianness == Endianness.Little ? 8 * i : 8 * (bytes - 1 - i);
            target[i] = (byte)(value >> shift);
        }
    }

    private static ulong ReadValue(GuestIsa isa, ReadOnlySpan<byte> source, int bytes)
    {
        ulong value = 0;
        for (int i = 0; i < bytes; i++)
        {
            int shift = isa.Endianness == Endianness.Little ? 8 * i : 8 * (bytes - 1 - i);
            value |= (ulong)source[i] << shift;
        }

        return value;
    }
}
