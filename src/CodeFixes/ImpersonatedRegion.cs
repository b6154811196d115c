using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// The statements an impersonation protects, in the statement list that holds it: from just after the
    /// impersonation and its failure check to the first statement that reverts, the first that signals (for an
    /// impersonation of the COM call context, which Signal completes), or the end of the list.
    /// <see cref="WrapInTryFinally"/> puts them in <c>try { … } finally { revert; }</c> (SPEC §4, "Revert in finally").
    /// </summary>
    internal static class ImpersonatedRegion
    {
        /// <summary>
        /// Where the protected statements start: after <c>var hr = Impersonate(); if (hr &lt; 0) return hr;</c> in
        /// the same list, or at the top of the success block of <c>if (SUCCEEDED(Impersonate())) { … }</c>.
        /// False when the impersonation is not a statement (or success test) of its own in a block.
        /// </summary>
        private static bool TryFindStart(
            InvocationExpressionSyntax impersonation,
            FixSemantics semantics,
            CancellationToken cancellationToken,
            out StatementList list,
            out int start)
        {
            list = default;
            start = -1;
            StatementSyntax? statement = StatementFacts.EnclosingStatement(impersonation);
            ISymbol? result = null;
            switch (statement)
            {
                case IfStatementSyntax test when test.Condition.Span.Contains(impersonation.Span):
                    if (!TryGetTestSense(test.Condition, impersonation, semantics, cancellationToken, out bool failureWhenTrue))
                    {
                        return false;
                    }

                    if (failureWhenTrue)
                    {
                        // if (CoImpersonateClient() < 0) return; …: the protected statements follow the test. Where the
                        // failure branch goes on (`if (!ImpersonateNamedPipeClient(pipe)) { Log(…); }`), they run
                        // impersonated only when the call succeeded; an end that is harmless on a thread that does not
                        // impersonate may still end them, on both paths.
                        if (test.Else is not null
                            || !StatementList.TryGet(test, out list, out int index)
                            || (!StatementFacts.AlwaysLeaves(test.Statement) && !semantics.EndIsHarmlessWithoutImpersonation(impersonation, cancellationToken)))
                        {
                            return false;
                        }

                        start = index + 1;
                    }
                    else if (test.Statement is BlockSyntax success)
                    {
                        // if (SUCCEEDED(CoImpersonateClient())) { … }: the success block is what is impersonated.
                        list = StatementList.Of(success);
                        start = 0;
                    }
                    else
                    {
                        return false;
                    }

                    break;

                case ExpressionStatementSyntax or LocalDeclarationStatementSyntax when StatementFacts.TopInvocation(statement) == impersonation:
                    if (!StatementList.TryGet(statement, out list, out int at))
                    {
                        return false;
                    }

                    result = StatementFacts.ResultHolder(statement, impersonation, semantics.Model, cancellationToken);
                    start = at + 1;
                    break;

                case ExpressionStatementSyntax thrower when ThrowsOnFailureOf(thrower, impersonation):
                    // PInvoke.CoImpersonateClient().ThrowOnFailure();, Marshal.ThrowExceptionForHR(CoImpersonateClient());
                    // (what "Throw on failure" writes): the statement is the impersonation and its failure check.
                    if (!StatementList.TryGet(statement, out list, out int next))
                    {
                        return false;
                    }

                    start = next + 1;
                    break;

                default:
                    return false;
            }

            SyntaxList<StatementSyntax> statements = list.Statements;
            while (start < statements.Count && StatementFacts.IsResultGuard(statements[start], result, semantics.Model, cancellationToken))
            {
                start++;
            }

            return true;
        }

        /// <summary>
        /// <c>imp.ThrowOnFailure();</c>, <c>imp.ThrowIfFailed();</c> or <c>Marshal.ThrowExceptionForHR(imp);</c> (the
        /// impersonation possibly cast, as <c>unchecked((int)imp)</c>, or an NTSTATUS made an HRESULT,
        /// <c>imp | 0x10000000</c>): a statement that throws when <paramref name="impersonation"/> fails and does
        /// nothing else.
        /// </summary>
        private static bool ThrowsOnFailureOf(ExpressionStatementSyntax statement, InvocationExpressionSyntax impersonation)
        {
            if (StatementFacts.PlainCall(statement) is not { } call || ApiModel.InvokedName(call) is not { } name)
            {
                return false;
            }

            ExpressionSyntax? checkedValue = null;
            if (ApiTable.HResultThrowMethods.Contains(name) && call.ArgumentList.Arguments.Count == 0 && call.Expression is MemberAccessExpressionSyntax access)
            {
                checkedValue = access.Expression;
            }
            else if (name == ApiTable.MarshalThrowMethod && call.ArgumentList.Arguments.Count == 1)
            {
                checkedValue = call.ArgumentList.Arguments[0].Expression;
            }

            while (true)
            {
                switch (checkedValue)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        checkedValue = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        checkedValue = cast.Expression;
                        continue;
                    case CheckedExpressionSyntax checkedOrNot:
                        checkedValue = checkedOrNot.Expression;
                        continue;
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression, Right: LiteralExpressionSyntax { Token.Value: int bits } } facility
                        when bits == ResultCheckWriter.FacilityNtBit:
                        // Marshal.ThrowExceptionForHR(NtSetInformationThread(…) | 0x10000000): an NTSTATUS as HRESULT_FROM_NT.
                        checkedValue = facility.Left;
                        continue;
                }

                return checkedValue == impersonation;
            }
        }

        /// <summary>
        /// Wraps the statements <paramref name="impersonation"/> protects in <c>try</c> / <c>finally</c> with the
        /// revert in the <c>finally</c>: a revert statement that ends the region moves there; otherwise the matching
        /// revert is written. When the region ends at a signal, a later revert of the same thread becomes redundant
        /// and is removed. With <paramref name="endBefore"/>, the region must end just before that statement.
        /// Returns the new root, or null where this cannot be done without changing what the code means.
        /// </summary>
        public static SyntaxNode? WrapInTryFinally(
            SyntaxNode root,
            InvocationExpressionSyntax impersonation,
            StatementSyntax? endBefore,
            FixSemantics semantics,
            CancellationToken cancellationToken)
        {
            if (!TryFindStart(impersonation, semantics, cancellationToken, out StatementList list, out int start))
            {
                return null;
            }

            SyntaxList<StatementSyntax> statements = list.Statements;
            int end = start;
            StatementSyntax? revertToMove = null;
            bool endsAtSignal = false;
            // Signal completes the COM call context only: another family's impersonation goes on across it, and
            // ending the region there would run the code after the signal reverted.
            bool signalEnds = semantics.EndsAtSignal(impersonation, cancellationToken);
            for (; end < statements.Count; end++)
            {
                StatementSyntax statement = statements[end];
                if (statement == endBefore || (signalEnds && StatementFacts.IsSignal(statement, semantics, cancellationToken)))
                {
                    endsAtSignal = true;
                    break;
                }

                if (StatementFacts.IsRevertStatement(statement, semantics, cancellationToken))
                {
                    revertToMove = statement;
                    break;
                }
            }

            if (endBefore is not null && (end == statements.Count || statements[end] != endBefore))
            {
                return null;
            }

            // A region that runs to the end of an inner block must not stop there when the code after the block
            // runs impersonated too: reverting at the end of the block would run that code reverted (SPEC §4).
            if (end == statements.Count && CodeMayFollow(list))
            {
                return null;
            }

            // A closing `break;` or `return;` stays after the try: it leaves the same way either way.
            int regionEnd = end;
            if (end == statements.Count)
            {
                while (regionEnd > start && StatementFacts.IsBareJump(statements[regionEnd - 1]))
                {
                    regionEnd--;
                }
            }

            // The revert the code has moves into the finally, with what it alone needs (`IntPtr none = IntPtr.Zero;`
            // before NtSetInformationThread(…, ref none, …)); otherwise the impersonation's own end is written there.
            var dropped = new HashSet<StatementSyntax>();
            List<StatementSyntax> finallyStatements;
            if (revertToMove is not null && !StatementFacts.CanMoveIntoFinally(revertToMove))
            {
                // `if (CoRevertToSelf() != 0) return false;` cannot stand in a finally: the row's end takes its place.
                if (semantics.EndFor(impersonation, impersonation.SpanStart, cancellationToken) is not { } replacement)
                {
                    return null;
                }

                finallyStatements = replacement.ToList();
                dropped.Add(revertToMove);
                revertToMove = null;
            }
            else if (revertToMove is not null)
            {
                finallyStatements = new List<StatementSyntax> { revertToMove };
                if (end - 1 >= start && StatementFacts.IsPreparationOf(statements[end - 1], revertToMove, semantics.Model, cancellationToken))
                {
                    finallyStatements.Insert(0, statements[end - 1]);
                    dropped.Add(statements[end - 1]);
                    regionEnd = end - 1;
                }

                finallyStatements[0] = finallyStatements[0].WithLeadingTrivia(LineTrivia.WithoutBlankLines(finallyStatements[0].GetLeadingTrivia()));
            }
            else if (semantics.EndFor(impersonation, impersonation.SpanStart, cancellationToken) is { } written)
            {
                finallyStatements = written.ToList();
            }
            else
            {
                return null;
            }

            var region = new List<StatementSyntax>();
            for (int i = start; i < regionEnd; i++)
            {
                region.Add(statements[i]);
            }

            var rewritten = new List<StatementSyntax>(statements.Take(start));
            if (region.Count == 0)
            {
                if (revertToMove is not null)
                {
                    return null; // the revert already follows the impersonation directly
                }

                // Nothing between the impersonation and the end can throw: the revert itself is enough. It ends with the
                // file's line break, so that the formatter puts no blank line between it and what follows.
                finallyStatements[finallyStatements.Count - 1] = finallyStatements[finallyStatements.Count - 1].WithTrailingTrivia(LineTrivia.LineEndOf(list.Owner));
                rewritten.AddRange(finallyStatements);
            }
            else
            {
                // `var result = action(); RevertToSelf(); return result;`  =>  try { return action(); } finally { … }
                StatementSyntax? mergedReturn = null;
                if (revertToMove is not null && end + 1 < statements.Count
                    && MergeableReturn(region[region.Count - 1], statements[end + 1], list, semantics.Model, cancellationToken) is { } merged)
                {
                    mergedReturn = statements[end + 1];
                    region[region.Count - 1] = merged;
                }

                // Locals of the region used after it are declared before the try and assigned in it.
                TextSpan regionSpan = TextSpan.FromBounds(statements[start].SpanStart, statements[regionEnd - 1].Span.End);
                var hoisted = new List<StatementSyntax>();
                var staying = new List<StatementSyntax>();
                var wrapped = new List<StatementSyntax>();
                for (int i = 0; i < region.Count; i++)
                {
                    StatementSyntax statement = region[i];
                    if (statement != statements[start + i])
                    {
                        wrapped.Add(statement); // the merged return
                    }
                    else if (StatementFacts.DeclaresNamesUsedElsewhere(new[] { statement }, StatementFacts.FunctionBodyOf(list.Owner), semantics.Model, cancellationToken, regionSpan))
                    {
                        if (Hoist(statement, semantics.Model, cancellationToken) is not { } split)
                        {
                            return null;
                        }

                        hoisted.Add(split.Declaration);
                        if (split.Assignment is { } assignment)
                        {
                            wrapped.Add(assignment); // `T x;` moved whole leaves nothing in the try
                        }
                    }
                    else
                    {
                        staying.Add(statement);
                        wrapped.Add(statement);
                    }
                }

                region = wrapped;
                if (region.Count == 0)
                {
                    return null;
                }

                if (!CanMoveIntoBlock(statements.Skip(start).Take(regionEnd - start).ToList(), staying, regionSpan, regionEnd < statements.Count, list, semantics.Model, cancellationToken))
                {
                    return null;
                }

                if (mergedReturn is not null)
                {
                    dropped.Add(mergedReturn);
                }

                SyntaxTriviaList leading = region[0].GetLeadingTrivia();
                region[0] = region[0].WithLeadingTrivia(LineTrivia.WithoutBlankLines(leading));
                if (hoisted.Count > 0)
                {
                    hoisted[0] = hoisted[0].WithLeadingTrivia(LineTrivia.BlankLines(leading).AddRange(hoisted[0].GetLeadingTrivia()));
                    leading = LineTrivia.WithoutBlankLines(leading);
                }

                rewritten.AddRange(hoisted);

                if (!LineTrivia.StartsLine(statements[start]) || (revertToMove is not null && !LineTrivia.StartsLine(finallyStatements[0])))
                {
                    // Statements that share a line: the formatter lays the try out.
                    rewritten.Add(SyntaxFactory.TryStatement(
                            SyntaxFactory.Block(region),
                            default,
                            SyntaxFactory.FinallyClause(SyntaxFactory.Block(finallyStatements)))
                        .WithLeadingTrivia(LineTrivia.BlankLines(leading))
                        .WithTrailingTrivia(LineTrivia.EndOfLineOf(region[region.Count - 1].GetTrailingTrivia()))
                        .WithAdditionalAnnotations(Formatter.Annotation));
                }
                else
                {
                    // Only the lines that move get new indentation: the wrapped statements keep their layout, comments
                    // and blank lines (the formatter would also rewrite their insides, a lambda's brace say). A written
                    // end is laid out by the formatter (it carries its annotation).
                    string indent = LineTrivia.IndentationOf(statements[start]);
                    string unit = LineTrivia.IndentationUnit(list.Owner, indent);
                    SyntaxTrivia lineEnd = LineTrivia.LineEndOf(list.Owner);
                    SyntaxTriviaList atIndent = SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(indent));
                    SyntaxTriviaList endOfLine = SyntaxFactory.TriviaList(lineEnd);
                    IEnumerable<StatementSyntax> inFinally = revertToMove is not null
                        ? finallyStatements.Select(statement => LineTrivia.Indented(statement, unit))
                        : finallyStatements.Select(statement => statement.WithLeadingTrivia(SyntaxFactory.Whitespace(indent + unit)).WithTrailingTrivia(lineEnd));
                    TryStatementSyntax tryStatement = SyntaxFactory.TryStatement(
                            SyntaxFactory.Token(LineTrivia.BlankLines(leading).AddRange(atIndent), SyntaxKind.TryKeyword, endOfLine),
                            SyntaxFactory.Block(
                                SyntaxFactory.Token(atIndent, SyntaxKind.OpenBraceToken, endOfLine),
                                SyntaxFactory.List(region.Select(statement => LineTrivia.Indented(statement, unit))),
                                SyntaxFactory.Token(atIndent, SyntaxKind.CloseBraceToken, endOfLine)),
                            default,
                            SyntaxFactory.FinallyClause(
                                SyntaxFactory.Token(atIndent, SyntaxKind.FinallyKeyword, endOfLine),
                                SyntaxFactory.Block(
                                    SyntaxFactory.Token(atIndent, SyntaxKind.OpenBraceToken, endOfLine),
                                    SyntaxFactory.List(inFinally),
                                    SyntaxFactory.Token(atIndent, SyntaxKind.CloseBraceToken, default))))
                        .WithTrailingTrivia(LineTrivia.EndOfLineOf(region[region.Count - 1].GetTrailingTrivia()));
                    rewritten.Add(tryStatement);
                }
            }

            for (int i = regionEnd; i < statements.Count; i++)
            {
                if (statements[i] != revertToMove && !dropped.Contains(statements[i]))
                {
                    rewritten.Add(statements[i]);
                }
            }

            if (endsAtSignal)
            {
                RemoveRedundantRevert(rewritten, rewritten.IndexOf(statements[end]), semantics, cancellationToken);
            }

            return root.ReplaceNode(list.Owner, list.With(SyntaxFactory.List(rewritten)));
        }

        /// <summary>
        /// True when, once control reaches the end of <paramref name="list"/>, more code of the same function may run:
        /// statements after the block (or after the statement that holds it), a loop header that calls something, a
        /// <c>finally</c> that does. A list that ends in <c>return</c> or <c>throw</c> is followed by nothing.
        /// </summary>
        private static bool CodeMayFollow(StatementList list)
        {
            SyntaxList<StatementSyntax> statements = list.Statements;
            if (statements.Count > 0 && statements[statements.Count - 1] is ReturnStatementSyntax or ThrowStatementSyntax)
            {
                return false;
            }

            SyntaxNode current = list.Owner is SwitchSectionSyntax section ? section.Parent! : list.Owner;
            while (current.Parent is { } parent)
            {
                switch (parent)
                {
                    case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or ArrowExpressionClauseSyntax or GlobalStatementSyntax:
                        return false;

                    case BlockSyntax or SwitchSectionSyntax:
                        StatementList.TryGet((StatementSyntax)current, out StatementList outer, out int index);
                        SyntaxList<StatementSyntax> siblings = outer.Statements;
                        if (index + 1 < siblings.Count)
                        {
                            StatementSyntax next = siblings[index + 1];
                            if (next is ReturnStatementSyntax or ThrowStatementSyntax && !StatementFacts.InvocationsIn(next).Any())
                            {
                                return false;
                            }

                            if (next is not BreakStatementSyntax and not ContinueStatementSyntax)
                            {
                                return true;
                            }
                        }

                        current = parent is SwitchSectionSyntax ? parent.Parent! : parent;
                        break;

                    case TryStatementSyntax tryStatement:
                        if (current != tryStatement.Finally?.Block && tryStatement.Finally is { } cleanUp && StatementFacts.InvocationsIn(cleanUp).Any())
                        {
                            return true;
                        }

                        current = parent;
                        break;

                    case CatchClauseSyntax or FinallyClauseSyntax:
                        current = parent.Parent!;
                        if (parent is CatchClauseSyntax && ((TryStatementSyntax)current).Finally is { } finallyClause && StatementFacts.InvocationsIn(finallyClause).Any())
                        {
                            return true;
                        }

                        break;

                    case ElseClauseSyntax:
                        current = parent.Parent!;
                        break;

                    case WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax:
                        // The next iteration's test runs after the body.
                        SyntaxNode? header = parent switch
                        {
                            WhileStatementSyntax loop => loop.Condition,
                            DoStatementSyntax loop => loop.Condition,
                            ForStatementSyntax loop => loop,
                            _ => null,
                        };
                        if (header is ForStatementSyntax forLoop
                            ? forLoop.Incrementors.Any(i => StatementFacts.InvocationsIn(i).Any()) || (forLoop.Condition is { } condition && StatementFacts.InvocationsIn(condition).Any())
                            : header is not null && StatementFacts.InvocationsIn(header).Any())
                        {
                            return true;
                        }

                        current = parent;
                        break;

                    default:
                        current = parent;
                        break;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>var x = E;</c> at the end of the region and <c>return x;</c> right after the revert, with no other use
        /// of <c>x</c>: <c>return E;</c>, to go inside the <c>try</c> (E still runs impersonated, the revert still
        /// runs before the method returns).
        /// </summary>
        private static StatementSyntax? MergeableReturn(StatementSyntax last, StatementSyntax afterRevert, StatementList list, SemanticModel model, CancellationToken cancellationToken)
        {
            if (last is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Declaration.Variables: { Count: 1 } variables } declaration
                || declaration.IsConst
                || variables[0].Initializer is not { Value: { } value }
                || value is RefExpressionSyntax
                || afterRevert is not ReturnStatementSyntax { Expression: IdentifierNameSyntax returned }
                || returned.Identifier.ValueText != variables[0].Identifier.ValueText
                || model.GetDeclaredSymbol(variables[0], cancellationToken) is not ILocalSymbol local
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(returned, cancellationToken).Symbol, local))
            {
                return null;
            }

            // The returned value converts to the return type as the local did only when their types agree.
            if (model.GetTypeInfo(value, cancellationToken).Type is not { } valueType
                || !SymbolEqualityComparer.Default.Equals(valueType, local.Type))
            {
                return null;
            }

            int uses = StatementFacts.FunctionBodyOf(list.Owner).DescendantNodes().OfType<IdentifierNameSyntax>()
                .Count(name => name.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local));
            if (uses != 1)
            {
                return null;
            }

            return SyntaxFactory.ReturnStatement(value.WithoutTrivia())
                .WithLeadingTrivia(last.GetLeadingTrivia())
                .WithTrailingTrivia(last.GetTrailingTrivia());
        }

        /// <summary>
        /// <c>T x = E;</c> as <c>T x;</c> (before the <c>try</c>) and <c>x = E;</c> (in it): the local stays visible
        /// after the <c>try</c>, and is definitely assigned there as before; <c>T x;</c> moves whole, with nothing left
        /// in the <c>try</c>. Null for what cannot be split so (const,
        /// ref, <c>using</c>, several variables, a type that cannot be written).
        /// </summary>
        private static (StatementSyntax Declaration, StatementSyntax? Assignment)? Hoist(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
        {
            // `IntPtr token;` (assigned later in the region, by `out token`): the declaration itself moves before the try,
            // and a local assigned in the try is definitely assigned after the try/finally as it was after the region.
            if (statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Declaration: { Type: not RefTypeSyntax, Variables: var plain } } uninitialised
                && !uninitialised.IsConst
                && !uninitialised.Declaration.Type.IsVar
                && plain.All(variable => variable.Initializer is null))
            {
                // Its comments go with it; blank lines stay where the region starts.
                return (uninitialised.WithLeadingTrivia(LineTrivia.WithoutBlankLines(uninitialised.GetLeadingTrivia())).WithAdditionalAnnotations(Formatter.Annotation), null);
            }

            if (statement is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Declaration.Variables: { Count: 1 } variables } declaration
                || declaration.IsConst
                || declaration.Declaration.Type is RefTypeSyntax
                || variables[0].Initializer is not { Value: { } value }
                || value is RefExpressionSyntax or StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax
                || model.GetDeclaredSymbol(variables[0], cancellationToken) is not ILocalSymbol local
                || local.Type is IErrorTypeSymbol || local.Type.IsAnonymousType || local.Type.TypeKind == TypeKind.Error)
            {
                return null;
            }

            TypeSyntax type;
            if (!declaration.Declaration.Type.IsVar)
            {
                type = declaration.Declaration.Type.WithoutTrivia();
            }
            else if (local.Type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
            {
                // IntPtr stays IntPtr (C# displays and simplifies it as nint): by its short name where that binds to it.
                string shortName = local.Type.SpecialType == SpecialType.System_IntPtr ? "IntPtr" : "UIntPtr";
                type = SyntaxFactory.ParseTypeName(shortName);
                if (!SymbolEqualityComparer.Default.Equals(model.GetSpeculativeTypeInfo(statement.SpanStart, type, SpeculativeBindingOption.BindAsTypeOrNamespace).Type, local.Type))
                {
                    type = SyntaxFactory.ParseTypeName("System." + shortName);
                }
            }
            else
            {
                type = SyntaxFactory.ParseTypeName(local.Type.ToMinimalDisplayString(model, statement.SpanStart)).WithAdditionalAnnotations(Simplifier.Annotation);
            }

            StatementSyntax hoisted = SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(type, SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(variables[0].Identifier.WithoutTrivia()))))
                .WithAdditionalAnnotations(Formatter.Annotation);
            StatementSyntax assignment = SyntaxFactory.ExpressionStatement(
                    SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(variables[0].Identifier.WithoutTrivia()), value.WithoutTrivia()))
                .WithTriviaFrom(statement);
            return (hoisted, assignment);
        }

        /// <summary>
        /// After the signal the thread has already been reverted in the <c>finally</c>: the first revert statement
        /// after it (before any new impersonation) only repeats that, and goes.
        /// </summary>
        private static void RemoveRedundantRevert(List<StatementSyntax> statements, int signalIndex, FixSemantics semantics, CancellationToken cancellationToken)
        {
            for (int i = signalIndex + 1; i < statements.Count; i++)
            {
                if (StatementFacts.IsRevertStatement(statements[i], semantics, cancellationToken))
                {
                    StatementSyntax revert = statements[i];
                    statements.RemoveAt(i);
                    if (i - 1 > signalIndex && StatementFacts.IsPreparationOf(statements[i - 1], revert, semantics.Model, cancellationToken))
                    {
                        statements.RemoveAt(i - 1); // what only the removed revert needed
                    }

                    return;
                }

                if (StatementFacts.Impersonates(statements[i], semantics, cancellationToken))
                {
                    return;
                }
            }
        }

        /// <summary>
        /// Statements can move into a new block unless that would hide a name used after them, move a label out of
        /// reach of its <c>goto</c>, split a preprocessor region, or (for a region that stops before the end of
        /// its list) dispose a <c>using</c> declaration earlier than before.
        /// </summary>
        /// <remarks><paramref name="staying"/>: the statements of the region whose declarations stay in it (the others are declared before the try).</remarks>
        private static bool CanMoveIntoBlock(List<StatementSyntax> region, List<StatementSyntax> staying, TextSpan regionSpan, bool stopsBeforeEnd, StatementList list, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (StatementSyntax statement in region)
            {
                if (statement is LabeledStatementSyntax || statement.ContainsDirectives)
                {
                    return false;
                }

                if (stopsBeforeEnd && statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword })
                {
                    return false;
                }
            }

            return !StatementFacts.DeclaresNamesUsedElsewhere(staying, StatementFacts.FunctionBodyOf(list.Owner), model, cancellationToken, regionSpan);
        }

        /// <summary>
        /// <c>if (CoImpersonateClient() &lt; 0) return;</c>: a test of the impersonation's own result, no <c>else</c>,
        /// whose branch is the failure branch and always leaves.
        /// </summary>
        public static bool IsFailureGuard(IfStatementSyntax test, SyntaxNode impersonation, FixSemantics semantics, CancellationToken cancellationToken) =>
            test.Else is null
            && StatementFacts.AlwaysLeaves(test.Statement)
            && test.Condition.Span.Contains(impersonation.Span)
            && TryGetTestSense(test.Condition, impersonation, semantics, cancellationToken, out bool failureWhenTrue)
            && failureWhenTrue;

        private static bool TryGetTestSense(ExpressionSyntax condition, SyntaxNode impersonation, FixSemantics semantics, CancellationToken cancellationToken, out bool failureWhenTrue)
        {
            SemanticModel model = semantics.Model;
            failureWhenTrue = false;
            // Read in the impersonation's own convention, as the analysis reads it: `r == 0` is the failure test of
            // a BOOL declared as int.
            return model.GetOperation(condition, cancellationToken) is { } test
                && ResultChecks.TryGetFailureTest(test, ShapeOf(impersonation, semantics, cancellationToken), out IOperation tested, out failureWhenTrue)
                && tested.Syntax.Span.Contains(impersonation.Span);
        }

        /// <summary>How the impersonation's result reports failure (an object creation throws).</summary>
        public static ResultShape ShapeOf(SyntaxNode impersonation, FixSemantics semantics, CancellationToken cancellationToken) =>
            impersonation is InvocationExpressionSyntax call ? semantics.ResultShapeOf(call, cancellationToken) : ResultShape.Throws;
    }
}
