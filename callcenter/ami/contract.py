"""What the service expects of the PBX: one place that asterisk-conf/ is checked against.

The consistency tests of ``asterisk-conf/`` import these names, so a change here
that the shipped Asterisk configuration does not follow fails the build.
"""

# The AMI user the service logs in as (manager.conf section name) by default.
AMI_USERNAME = "callcenter"

# manager.conf read classes the listener needs:
#   call      - Newchannel, Newstate, Hangup, DialBegin/End, Bridge*, transfers, VarSet of channels
#   agent     - Queue* / Agent* events (queue calls, ring attempts)
#   cdr       - Cdr events (cdr_manager) used to reconcile and to date adopted calls
#   user      - UserEvent (the voicemail notification below)
#   dialplan  - VarSet/Newexten (VM_MESSAGEFILE when the UserEvent is not configured)
#   system    - FullyBooted / Shutdown (Asterisk restarts)
#   reporting - CoreShowChannels / DeviceStateList responses
# The clerk board (ami/clerks.py) reads QueueMember*/Agent* (agent), DeviceStateChange (call)
# and ContactStatus/PeerStatus (system): no class beyond these.
AMI_READ_CLASSES = ("call", "agent", "cdr", "user", "dialplan", "system", "reporting")
# Write classes: none beyond what the actions need (Ping needs none; CoreShowChannels: reporting).
# The clerk board's snapshot after a connect (ami/clerk_tracker.py) is read-only: QueueStatus needs
# no class, DeviceStateList "reporting" (or "call"). PJSIPShowContacts would need "system", which
# also allows Reload, ModuleLoad and DBPut: not granted; the refusal is logged and ContactStatus
# events tell registrations instead.
AMI_WRITE_CLASSES = ("reporting",)
CLERK_SNAPSHOT_ACTIONS = {"QueueStatus": None, "DeviceStateList": "reporting", "PJSIPShowContacts": "system"}
GRANTED_SNAPSHOT_ACTIONS = tuple(a for a, cls in CLERK_SNAPSHOT_ACTIONS.items() if cls is None or cls in AMI_WRITE_CLASSES)

# The UserEvent the dialplan raises after VoiceMail() stored a message, so that the
# service does not have to guess which file belongs to which call. Headers:
#   Mailbox: 6085708@hotline        MessageFile: ${VM_MESSAGEFILE}
#   Duration: ${VM_DURATION}        Linkedid: ${CHANNEL(linkedid)}
# VM_DURATION is not set by app_voicemail; the dialplan reads it from the message's .txt
# first (it may be empty). Linkedid arrives twice (the channel's own headers come first);
# the listener keeps the first value.
VOICEMAIL_USER_EVENT = "CallcenterVoicemail"

# The hotline's public number, its voicemail box and context.
HOTLINE_NUMBER = "6085708"
VOICEMAIL_MAILBOX = "6085708"
VOICEMAIL_CONTEXT = "hotline"

# Asterisk's voicemail spool root; the service maps paths below "voicemail/" onto
# its own CALLCENTER_SPOOL_DIR.
ASTERISK_SPOOL_ROOT = "/var/spool/asterisk/voicemail"
