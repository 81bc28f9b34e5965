namespace Isa.Backends.Vcpu;

/// <summary>GDTR or IDTR: the linear address of the table and its limit (size - 1).</summary>
public readonly record struct DescriptorTableRegister(ulong Base, ushort Limit);
