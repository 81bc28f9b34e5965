using Iced.Intel;

namespace Isa.Backends.Jit;

/// <summary>
/// The bytes of the x64 instructions blocks are mostly made of, written directly: moves between a
/// register and the state block (<c>mov [rbx+d], r</c>, homes loaded and stored at every exit),
/// constants into registers and the state (<c>mov eax, exit</c>, <c>mov dword [rbx+pc], imm</c>), ALU
/// operations with an immediate (the budget charge, <c>add esi, 1</c>, <c>test ebp, 3</c>). On lua they are
/// two thirds of the instructions placed, and Iced's general <see cref="Encoder"/> (operand handlers, a
/// virtual call per byte) cost half of placement. Anything else, including every form with a prefix,
/// a segment, an index register or a base that needs a SIB byte or a forced displacement, is declined
/// and goes to Iced. The bytes are exactly Iced's (CodeLayoutTests compares them form by form).
/// </summary>
internal static class CommonEncodings
{
    /// <summary>Writes <paramref name="instruction"/> into <paramref name="destination"/> (room for 16 bytes); false (nothing written) if it is not one of the common forms.</summary>
    public static bool TryEncode(in Instruction instruction, Span<byte> destination, out int length)
    {
        length = 0;
        if (instruction.HasLockPrefix || instruction.HasRepPrefix || instruction.HasRepnePrefix || instruction.SegmentPrefix != Register.None)
        {
            return false;
        }

        switch (instruction.Code)
        {
            case Code.Mov_rm32_r32:
                return RmReg(instruction, 0x89, wide: false, reg: instruction.Op1Register, destination, out length);
            case Code.Mov_rm64_r64:
                return RmReg(instruction, 0x89, wide: true, reg: instruction.Op1Register, destination, out length);
            case Code.Mov_r32_rm32:
                return RegRm(instruction, 0x8B, wide: false, destination, out length);
            case Code.Mov_r64_rm64:
                return RegRm(instruction, 0x8B, wide: true, destination, out length);
            case Code.Mov_r32_imm32:
                if (instruction.Op0Kind != OpKind.Register || instruction.Op1Kind != OpKind.Immediate32 || !Gpr(instruction.Op0Register, 32, out int r))
                {
                    return false;
                }

                int at = 0;
                if (r >= 8)
                {
                    destination[at++] = 0x41;
                }

                destination[at++] = (byte)(0xB8 + (r & 7));
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], instruction.Immediate32);
                length = at + 4;
                return true;
            case Code.Mov_rm32_imm32:
                return RmImmediate(instruction, 0xC7, 0, wide: false, imm8: false, destination, out length);
            case Code.Test_rm32_imm32:
                return RmImmediate(instruction, 0xF7, 0, wide: false, imm8: false, destination, out length);
            case Code.Add_rm32_imm8 or Code.Or_rm32_imm8 or Code.And_rm32_imm8 or Code.Sub_rm32_imm8 or Code.Xor_rm32_imm8 or Code.Cmp_rm32_imm8:
                return RmImmediate(instruction, 0x83, Extension(instruction.Code), wide: false, imm8: true, destination, out length);
            case Code.Add_rm64_imm8 or Code.Or_rm64_imm8 or Code.And_rm64_imm8 or Code.Sub_rm64_imm8 or Code.Xor_rm64_imm8 or Code.Cmp_rm64_imm8:
                return RmImmediate(instruction, 0x83, Extension(instruction.Code), wide: true, imm8: true, destination, out length);
            case Code.Add_rm32_imm32 or Code.Or_rm32_imm32 or Code.And_rm32_imm32 or Code.Sub_rm32_imm32 or Code.Xor_rm32_imm32 or Code.Cmp_rm32_imm32:
                return RmImmediate(instruction, 0x81, Extension(instruction.Code), wide: false, imm8: false, destination, out length);
            default:
                return false;
        }
    }

    // The conditional jumps by condition (x86's order: o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g).
    private static readonly Code[] ShortJcc =
    [
        Code.Jo_rel8_64, Code.Jno_rel8_64, Code.Jb_rel8_64, Code.Jae_rel8_64, Code.Je_rel8_64, Code.Jne_rel8_64, Code.Jbe_rel8_64, Code.Ja_rel8_64,
        Code.Js_rel8_64, Code.Jns_rel8_64, Code.Jp_rel8_64, Code.Jnp_rel8_64, Code.Jl_rel8_64, Code.Jge_rel8_64, Code.Jle_rel8_64, Code.Jg_rel8_64,
    ];

    private static readonly Code[] NearJcc =
    [
        Code.Jo_rel32_64, Code.Jno_rel32_64, Code.Jb_rel32_64, Code.Jae_rel32_64, Code.Je_rel32_64, Code.Jne_rel32_64, Code.Jbe_rel32_64, Code.Ja_rel32_64,
        Code.Js_rel32_64, Code.Jns_rel32_64, Code.Jp_rel32_64, Code.Jnp_rel32_64, Code.Jl_rel32_64, Code.Jge_rel32_64, Code.Jle_rel32_64, Code.Jg_rel32_64,
    ];

    /// <summary>
    /// A <c>jmp</c>, <c>jcc</c> (short or near, as its code says) or <c>call</c> (near) at <paramref name="ip"/>
    /// to <paramref name="target"/>; false (nothing written) for another branch or a displacement that does not fit.
    /// </summary>
    public static bool TryEncodeBranch(in Instruction instruction, ulong ip, ulong target, Span<byte> destination, out int length)
    {
        length = 0;
        Code code = instruction.Code;
        int cc = -1;
        for (int i = 0; i < ShortJcc.Length; i++)
        {
            if (code == ShortJcc[i] || code == NearJcc[i])
            {
                cc = i;
                break;
            }
        }

        bool isShort = code == Code.Jmp_rel8_64 || (cc >= 0 && code == ShortJcc[cc]);
        int size = isShort ? 2 : code is Code.Jmp_rel32_64 or Code.Call_rel32_64 ? 5 : cc >= 0 ? 6 : 0;
        if (size == 0 || destination.Length < size || instruction.HasLockPrefix || instruction.HasRepPrefix || instruction.HasRepnePrefix || instruction.SegmentPrefix != Register.None)
        {
            return false;
        }

        long displacement = (long)(target - (ip + (ulong)size));
        if (isShort ? displacement is < sbyte.MinValue or > sbyte.MaxValue : displacement is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        if (isShort)
        {
            destination[0] = cc >= 0 ? (byte)(0x70 + cc) : (byte)0xEB;
            destination[1] = (byte)(sbyte)displacement;
        }
        else
        {
            int at = 0;
            if (cc >= 0)
            {
                destination[at++] = 0x0F;
                destination[at++] = (byte)(0x80 + cc);
            }
            else
            {
                destination[at++] = code == Code.Call_rel32_64 ? (byte)0xE8 : (byte)0xE9;
            }

            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(destination[at..], (int)displacement);
        }

        length = size;
        return true;
    }

    // The ModRM reg field of the 80/81/83 group: add, or, adc, sbb, and, sub, xor, cmp.
    private static int Extension(Code code) => code switch
    {
        Code.Add_rm32_imm8 or Code.Add_rm64_imm8 or Code.Add_rm32_imm32 => 0,
        Code.Or_rm32_imm8 or Code.Or_rm64_imm8 or Code.Or_rm32_imm32 => 1,
        Code.And_rm32_imm8 or Code.And_rm64_imm8 or Code.And_rm32_imm32 => 4,
        Code.Sub_rm32_imm8 or Code.Sub_rm64_imm8 or Code.Sub_rm32_imm32 => 5,
        Code.Xor_rm32_imm8 or Code.Xor_rm64_imm8 or Code.Xor_rm32_imm32 => 6,
        _ => 7, // cmp
    };

    /// <summary><c>op r/m, reg</c>: operand 0 the r/m, operand 1 the register.</summary>
    private static bool RmReg(in Instruction instruction, byte opcode, bool wide, Register reg, Span<byte> destination, out int length)
    {
        length = 0;
        return instruction.Op1Kind == OpKind.Register && Gpr(reg, wide ? 64 : 32, out int r)
            && Emit(instruction, 0, opcode, wide, r, destination, out length);
    }

    /// <summary><c>op reg, r/m</c>: operand 0 the register, operand 1 the r/m.</summary>
    private static bool RegRm(in Instruction instruction, byte opcode, bool wide, Span<byte> destination, out int length)
    {
        length = 0;
        return instruction.Op0Kind == OpKind.Register && Gpr(instruction.Op0Register, wide ? 64 : 32, out int r)
            && Emit(instruction, 1, opcode, wide, r, destination, out length);
    }

    /// <summary><c>op r/m, imm</c> with the opcode extension <paramref name="extension"/> in ModRM.reg.</summary>
    private static bool RmImmediate(in Instruction instruction, byte opcode, int extension, bool wide, bool imm8, Span<byte> destination, out int length)
    {
        length = 0;
        OpKind kind = instruction.Op1Kind;
        bool expected = imm8 ? kind is OpKind.Immediate8to32 or OpKind.Immediate8to64 : kind is OpKind.Immediate32;
        if (!expected || !Emit(instruction, 0, opcode, wide, extension, destination, out int at))
        {
            return false;
        }

        if (imm8)
        {
            destination[at++] = (byte)instruction.Immediate8;
        }
        else
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], instruction.Immediate32);
            at += 4;
        }

        length = at;
        return true;
    }

    /// <summary>
    /// REX, the opcode and the ModRM (with its displacement) for the r/m operand <paramref name="rmOperand"/>
    /// and the ModRM.reg value <paramref name="reg"/>; false for an r/m it does not handle.
    /// </summary>
    private static bool Emit(in Instruction instruction, int rmOperand, byte opcode, bool wide, int reg, Span<byte> destination, out int length)
    {
        length = 0;
        OpKind kind = rmOperand == 0 ? instruction.Op0Kind : instruction.Op1Kind;
        int rex = (wide ? 8 : 0) | (reg >= 8 ? 4 : 0);
        int mod, rm;
        int displacement = 0, displacementBytes = 0;
        if (kind == OpKind.Register)
        {
            if (!Gpr(rmOperand == 0 ? instruction.Op0Register : instruction.Op1Register, wide ? 64 : 32, out rm))
            {
                return false;
            }

            mod = 3;
        }
        else if (kind == OpKind.Memory)
        {
            // [base + disp] only: no index, no RIP, a base with no SIB byte (rsp, r12) and no forced displacement (rbp, r13).
            if (instruction.MemoryIndex != Register.None || !Gpr(instruction.MemoryBase, 64, out rm) || (rm & 7) is 4 or 5)
            {
                return false;
            }

            long value = (long)instruction.MemoryDisplacement64;
            if (value is < int.MinValue or > int.MaxValue)
            {
                return false;
            }

            displacement = (int)value;
            if (instruction.MemoryDisplSize is not (0 or 1 or 8))
            {
                return false; // 2 or 4: 16- or 32-bit addressing
            }

            // As Iced: none for an operand without one (size 0), a byte where the operand's size is 1 and
            // it fits, else four bytes (size 8: the assembler's for one that does not fit a byte).
            if (instruction.MemoryDisplSize == 0)
            {
                if (displacement != 0)
                {
                    return false; // Iced refuses it
                }

                mod = 0;
            }
            else if (instruction.MemoryDisplSize == 1 && displacement is >= sbyte.MinValue and <= sbyte.MaxValue)
            {
                mod = 1;
                displacementBytes = 1;
            }
            else
            {
                mod = 2;
                displacementBytes = 4;
            }
        }
        else
        {
            return false;
        }

        rex |= rm >= 8 ? 1 : 0;
        int at = 0;
        if (rex != 0)
        {
            destination[at++] = (byte)(0x40 | rex);
        }

        destination[at++] = opcode;
        destination[at++] = (byte)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
        if (displacementBytes == 1)
        {
            destination[at++] = (byte)(sbyte)displacement;
        }
        else if (displacementBytes == 4)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(destination[at..], displacement);
            at += 4;
        }

        length = at;
        return true;
    }

    /// <summary>The number (0-15) of a general-purpose register of <paramref name="bits"/> bits.</summary>
    private static bool Gpr(Register register, int bits, out int number)
    {
        Register first = bits == 64 ? Register.RAX : Register.EAX;
        number = register - first;
        return number is >= 0 and < 16;
    }
}
