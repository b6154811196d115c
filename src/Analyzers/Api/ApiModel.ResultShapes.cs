using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>How a call reports failure, from its return type and its family's convention.</summary>
    internal sealed partial class ApiModel
    {
        /// <summary>The shape of an HRESULT-returning call (COM, and wrappers of unknown convention).</summary>
        internal static ResultShape ShapeOf(ITypeSymbol returnType) => ShapeOf(returnType, ResultConvention.HResult);

        /// <summary>How a call with this return type and failure convention reports failure.</summary>
        internal static ResultShape ShapeOf(ITypeSymbol returnType, ResultConvention convention)
        {
            if (convention == ResultConvention.Throws || returnType.SpecialType == SpecialType.System_Void)
            {
                return ResultShape.Throws;
            }

            if (returnType.SpecialType == SpecialType.System_Boolean || IsStructNamed(returnType, "BOOL"))
            {
                return ResultShape.Bool; // a bool always says success
            }

            bool isInteger = returnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32;
            switch (convention)
            {
                case ResultConvention.Win32Bool:
                    return isInteger ? ResultShape.Bool32 : ResultShape.Other;
                case ResultConvention.NtStatus:
                    return returnType.SpecialType switch
                    {
                        SpecialType.System_Int32 => ResultShape.Int32,
                        SpecialType.System_UInt32 => ResultShape.UInt32,
                        _ => returnType.TypeKind == TypeKind.Enum ? ResultShape.Status : ResultShape.Other,
                    };
                case ResultConvention.RpcStatus:
                    return isInteger || returnType.TypeKind == TypeKind.Enum ? ResultShape.Status
                        : IsStructNamed(returnType, "Win32Error") ? ResultShape.HResultStruct
                        : ResultShape.Other;
            }

            switch (returnType.SpecialType)
            {
                case SpecialType.System_Int32:
                    return ResultShape.Int32;
                case SpecialType.System_UInt32:
                    return ResultShape.UInt32;
            }

            return IsStructNamed(returnType, "HRESULT") ? ResultShape.HResultStruct : ResultShape.Other;
        }

        private static bool IsStructNamed(ITypeSymbol type, string name) => type.TypeKind == TypeKind.Struct && type.Name == name;
    }
}
