using Isa.Backends.Vcpu.Whpx;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>The WHPX structures against the sizes and field offsets of Microsoft's WinHvPlatformDefs.h documentation.</summary>
public sealed unsafe class WhpxLayoutTests
{
    [Fact]
    public void StructuresHaveTheDocumentedSizes()
    {
        Assert.Equal(16, sizeof(WhpxNative.SegmentRegister));
        Assert.Equal(16, sizeof(WhpxNative.TableRegister));
        Assert.Equal(16, sizeof(WhpxNative.RegisterValue));
        Assert.Equal(40, sizeof(WhpxNative.VpExitContext));
        Assert.Equal(40, sizeof(WhpxNative.MemoryAccessContext));
        Assert.Equal(96, sizeof(WhpxNative.IoPortAccessContext));
        Assert.Equal(40, sizeof(WhpxNative.ExceptionContext));
        Assert.Equal(16, sizeof(WhpxNative.UnsupportedFeatureContext));
        Assert.Equal(224, sizeof(WhpxNative.RunVpExitContext));
        Assert.Equal(224, WhpxNative.ExitContextSize);
    }

    [Fact]
    public void SegmentAndTableRegistersPutTheirFieldsWhereDocumented()
    {
        var value = default(WhpxNative.RegisterValue);
        byte* v = (byte*)&value;
        Assert.Equal(0, (byte*)&value.Segment.Base - v);
        Assert.Equal(8, (byte*)&value.Segment.Limit - v);
        Assert.Equal(12, (byte*)&value.Segment.Selector - v);
        Assert.Equal(14, (byte*)&value.Segment.Attributes - v);

        // WHV_X64_TABLE_REGISTER: UINT16 Pad[3]; UINT16 Limit; UINT64 Base.
        Assert.Equal(6, (byte*)&value.Table.Limit - v);
        Assert.Equal(8, (byte*)&value.Table.Base - v);
        Assert.Equal(0, (byte*)&value.Reg64 - v);
    }

    [Fact]
    public void ExitContextFieldsSitAtTheDocumentedOffsets()
    {
        var context = default(WhpxNative.RunVpExitContext);
        byte* c = (byte*)&context;
        Assert.Equal(0, (byte*)&context.ExitReason - c);

        // WHV_VP_EXIT_CONTEXT at 8: ExecutionState, InstructionLength:4 + Cr8:4, reserved, Cs, Rip, Rflags.
        Assert.Equal(8, (byte*)&context.VpContext.ExecutionState - c);
        Assert.Equal(10, (byte*)&context.VpContext.InstructionLengthAndCr8 - c);
        Assert.Equal(16, (byte*)&context.VpContext.Cs - c);
        Assert.Equal(32, (byte*)&context.VpContext.Rip - c);
        Assert.Equal(40, (byte*)&context.VpContext.Rflags - c);

        // The union at 48.
        Assert.Equal(48, (byte*)&context.MemoryAccess.InstructionByteCount - c);
        Assert.Equal(52, context.MemoryAccess.InstructionBytes - c);
        Assert.Equal(68, (byte*)&context.MemoryAccess.AccessInfo - c);
        Assert.Equal(72, (byte*)&context.MemoryAccess.Gpa - c);
        Assert.Equal(80, (byte*)&context.MemoryAccess.Gva - c);

        Assert.Equal(48, (byte*)&context.IoPortAccess.InstructionByteCount - c);
        Assert.Equal(52, context.IoPortAccess.InstructionBytes - c);
        Assert.Equal(68, (byte*)&context.IoPortAccess.AccessInfo - c);
        Assert.Equal(72, (byte*)&context.IoPortAccess.PortNumber - c);
        Assert.Equal(80, (byte*)&context.IoPortAccess.Rax - c);
        Assert.Equal(88, (byte*)&context.IoPortAccess.Rcx - c);
        Assert.Equal(96, (byte*)&context.IoPortAccess.Rsi - c);
        Assert.Equal(104, (byte*)&context.IoPortAccess.Rdi - c);
        Assert.Equal(112, (byte*)&context.IoPortAccess.Ds - c);
        Assert.Equal(128, (byte*)&context.IoPortAccess.Es - c);

        Assert.Equal(68, (byte*)&context.VpException.ExceptionInfo - c);
        Assert.Equal(72, (byte*)&context.VpException.ExceptionType - c);
        Assert.Equal(76, (byte*)&context.VpException.ErrorCode - c);
        Assert.Equal(80, (byte*)&context.VpException.ExceptionParameter - c);

        Assert.Equal(48, (byte*)&context.UnsupportedFeature.FeatureCode - c);
        Assert.Equal(56, (byte*)&context.UnsupportedFeature.FeatureParameter - c);
        Assert.Equal(48, (byte*)&context.CancelReason - c);
        Assert.Equal(48, (byte*)context.AsUInt64 - c);
    }

    [Fact]
    public void InstructionLengthIsTheLowNibble()
    {
        // Cr8 shares the byte: 0x5B is CR8 5, an instruction of 11 bytes.
        var state = new WhpxNative.VpExitContext { InstructionLengthAndCr8 = 0x5B };
        Assert.Equal(11, state.InstructionLength);
    }
}
