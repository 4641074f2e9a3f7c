/** Admin › Users: the client's users; invite one (they get an email with a link to set their
 * password, valid 7 days), change a role, remove a user (confirmed). The server keeps the last
 * admin (409): its answer is shown. Your own row cannot be changed here, so that nobody locks
 * themselves out by a slip. */
import { useRef, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/layout/ConfirmDialog';
import { sentence } from '../../components/layout/ProblemList';
import { useAuth } from '../../context/AuthContext';
import { useToast } from '../../context/ToastContext';
import { useAsync } from '../../hooks/useAsync';
import { useConfirm } from '../../hooks/useConfirm';
import { useFocusRequest } from '../../hooks/useFocusRequest';
import { focusFirst } from '../../lib/focusFirst';
import { validateEmail } from '../../lib/login';
import { ROLE_HINTS, ROLE_LABELS, ROLES } from '../../lib/roles';
import { ApiError, api } from '../../services/api';
import type { Role, User } from '../../types/api';
import { AdminTable } from './AdminTable';
import { formatDate } from './format';

const loadUsers = (signal: AbortSignal) => api.listUsers(signal);

export function UsersAdmin() {
  const users = useAsync(loadUsers);
  const { user: me } = useAuth();
  const { notify } = useToast();
  const [changing, setChanging] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const replace = (updated: User) =>
    users.setData((d) => d && { items: d.items.map((u) => (u.id === updated.id ? updated : u)) });

  const changeRole = async (target: User, role: Role) => {
    if (role === target.role) return;
    setChanging(target.id);
    try {
      replace(await api.updateUser(target.id, { role }));
      setStatus(`${target.name} is now ${ROLE_LABELS[role].toLowerCase()}.`);
    } catch (error) {
      replace(target); // the select shows the role the server kept
      notify(sentence((error as Error).message), { tone: 'error' });
    } finally {
      setChanging(null);
    }
  };

  const remove = useConfirm(async (target: User) => {
    await api.removeUser(target.id);
    users.setData((d) => d && { items: d.items.filter((u) => u.id !== target.id) });
    return `Removed ${target.name}.`;
  }, heading);
  const removing = remove.pending;

  return (
    <>
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title" tabIndex={-1} ref={heading}>Users</h2>
        <p className="visually-hidden" role="status">{status}</p>
        <AdminTable
          list={users}
          labelledBy="users-title"
          errorTitle="The users could not be loaded"
          loadingLabel="Loading users"
          columns={['Name', 'Email', 'Role', 'Status', 'Added']}
          actions
          row={(user) => {
            const self = user.id === me?.id;
            return (
              <tr key={user.id} data-email={user.email}>
                <th scope="row">{user.name}{self && <span className="badge">you</span>}</th>
                <td className="cell-break">{user.email}</td>
                <td>
                  {self ? ROLE_LABELS[user.role] : (
                    <select className="select" value={user.role} disabled={changing === user.id}
                      aria-label={`Role of ${user.name}`}
                      onChange={(event) => void changeRole(user, event.target.value as Role)}>
                      {ROLES.map((role) => <option key={role} value={role}>{ROLE_LABELS[role]}</option>)}
                    </select>
                  )}
                </td>
                <td>{user.has_password ? 'Active' : <span className="badge badge-warning">Invited</span>}</td>
                <td><time dateTime={user.created_at}>{formatDate(user.created_at)}</time></td>
                <td className="cell-actions">
                  {!self && (
                    <button type="button" className="button button-small button-ghost button-danger-text" onClick={() => remove.ask(user)}>
                      Remove<span className="visually-hidden"> {user.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          }}
        />
      </section>
      <InviteUser onInvited={(user) => users.setData((d) => d && { items: [...d.items, user] })} />
      <ConfirmDialog confirmation={remove} title={`Remove ${removing?.name ?? 'this user'}?`} keepLabel="Keep" confirmLabel="Remove">
        <p>
          {removing?.name} ({removing?.email}) can no longer log in; their sessions end at once. The configurations they saved are kept.
        </p>
      </ConfirmDialog>
    </>
  );
}

interface InviteErrors {
  email?: string;
  name?: string;
  role?: string;
}

function InviteUser({ onInvited }: { onInvited(user: User): void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<InviteErrors>({});
  const [error, setError] = useState<{ message: string; n: number } | null>(null);
  const [invited, setInvited] = useState<User | null>(null);
  const [busy, setBusy] = useState(false);
  const refs = { email: useRef<HTMLInputElement>(null), name: useRef<HTMLInputElement>(null), role: useRef<HTMLSelectElement>(null) };
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: InviteErrors = { email: validateEmail(email, 'their'), name: name.trim() ? undefined : 'Enter their name.' };
    setErrors(found);
    setError(null);
    setInvited(null);
    if (found.email || found.name) {
      focusFirst(refs, found);
      return;
    }
    setBusy(true);
    try {
      const user = await api.inviteUser(email.trim(), name.trim(), role);
      onInvited(user);
      setInvited(user);
      setEmail('');
      setName('');
      setRole('member');
      refs.email.current?.focus();
    } catch (caught) {
      const fields = caught instanceof ApiError && caught.status === 422 ? caught.fieldErrors() : {};
      if (caught instanceof ApiError && caught.status === 409) {
        const found = { email: sentence(caught.message) };
        setErrors(found);
        focusFirst(refs, found);
      } else if (fields.email || fields.name || fields.role) {
        const found = { email: fields.email && sentence(fields.email), name: fields.name && sentence(fields.name), role: fields.role && sentence(fields.role) };
        setErrors(found);
        focusFirst(refs, found);
      } else {
        setError((e) => ({ message: sentence((caught as Error).message), n: (e?.n ?? 0) + 1 }));
        focusAlert(); // once shown: an empty alert is not displayed
      }
    } finally {
      setBusy(false);
    }
  };

  const described = (field: keyof InviteErrors, hint?: string) =>
    [errors[field] ? `invite-${field}-error` : '', hint ?? '', error ? 'invite-error' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <section className="panel" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a user</h2>
      <p className="muted">They get an email with a link to set their password. The link works for 7 days.</p>
      <form className="form-grid" onSubmit={submit} noValidate aria-busy={busy}>
        {invited && (
          <p className="form-notice form-wide" role="status">
            Invitation sent to {invited.name} ({invited.email}) as {ROLE_LABELS[invited.role].toLowerCase()}.
          </p>
        )}
        <div id="invite-error" className="login-alert form-wide" role="alert" tabIndex={-1} ref={alertRef}>
          {error && <p key={error.n}>{error.message}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="invite-email">Email</label>
          <input ref={refs.email} id="invite-email" className="text-field" type="email" autoComplete="off" inputMode="email"
            autoCapitalize="none" spellCheck={false} value={email} maxLength={254} onChange={(event) => setEmail(event.target.value)}
            aria-invalid={errors.email ? true : undefined} aria-describedby={described('email')} />
          {errors.email && <p id="invite-email-error" className="field-error">{errors.email}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="invite-name">Name</label>
          <input ref={refs.name} id="invite-name" className="text-field" autoComplete="off" value={name} maxLength={200}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={errors.name ? true : undefined} aria-describedby={described('name')} />
          {errors.name && <p id="invite-name-error" className="field-error">{errors.name}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="invite-role">Role</label>
          <select ref={refs.role} id="invite-role" className="select" value={role} onChange={(event) => setRole(event.target.value as Role)}
            aria-invalid={errors.role ? true : undefined} aria-describedby={described('role', 'invite-role-hint')}>
            {ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
          </select>
          <p id="invite-role-hint" className="field-hint">{ROLE_LABELS[role]}: {ROLE_HINTS[role]}.</p>
          {errors.role && <p id="invite-role-error" className="field-error">{errors.role}</p>}
        </div>
        <div className="form-wide form-buttons">
          <button type="submit" className="button" aria-disabled={busy}>{busy ? 'Inviting…' : 'Send invitation'}</button>
        </div>
      </form>
    </section>
  );
}
