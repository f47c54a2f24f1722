/**
 * Chinese (default) and English. Every visible string goes through `t`;
 * the choice is kept in localStorage. `{name}` placeholders are filled from
 * the second argument.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';
import relativeTime from 'dayjs/plugin/relativeTime';

import type { Messages } from './messages/messages.ts';
import { adminMessages } from './messages/admin.ts';
import { detailMessages } from './messages/detail.ts';
import { importMessages } from './messages/import.ts';
import { listMessages } from './messages/list.ts';
import { overviewMessages } from './messages/overview.ts';

dayjs.extend(relativeTime);

export type Lang = 'zh' | 'en';

const coreMessages = {
  'app.title': ['Tugboat 镜像管理平台', 'Tugboat Image Console'],
  // One word per thing (issue 16): the menu group is the job (镜像同步), its pages the things; 镜像源 is a
  // registry (a host), 镜像仓库 a repository path in it, 镜像 the image Tugboat syncs.
  'nav.images': ['镜像同步', 'Image sync'],
  'nav.repositories': ['镜像管理', 'Images'],
  'nav.registries': ['镜像源', 'Registries'],
  'top.language': ['语言', 'Language'],
  'top.switchTo': ['English', '中文'],
  'top.signOut': ['退出登录', 'Sign out'],
  'top.readOnly': ['只读', 'Read-only'],
  'top.readOnlyHint': ['令牌「{name}」只能查看，不能修改', 'Token "{name}" can view but not change anything'],
  'top.live': ['实时更新', 'Live'],
  'top.reconnecting': ['正在重新连接…', 'Reconnecting…'],

  'login.title': ['登录 Tugboat', 'Sign in to Tugboat'],
  'login.subtitle': ['使用 API 令牌登录镜像管理控制台', 'Use an API token to sign in to the image console'],
  'login.token': ['访问令牌', 'Access token'],
  'login.tokenPlaceholder': ['tug_…', 'tug_…'],
  'login.tokenHelp': ['令牌由 tug serve 首次启动时生成，或由 --admin-token-file 指定。', 'Printed by tug serve on first start, or given with --admin-token-file.'],
  'login.submit': ['登录', 'Sign in'],
  'login.required': ['请输入访问令牌', 'Enter an access token'],

  'login.expired': ['登录已失效，请重新登录', 'Your session ended: sign in again'],
  'login.signedOut': ['已退出登录', 'Signed out'],

  'err.badRequest': ['请求无法处理，请检查填写的内容', 'The request could not be handled: check what was entered'],
  'err.unauthorized': ['令牌无效或已被撤销，请重新登录', 'The token is not valid or was revoked: sign in again'],
  'err.forbidden': ['当前令牌没有执行此操作的权限', 'This token may not do that'],
  'err.notFound': ['{kind}「{name}」不存在（可能已被删除）', '{kind} "{name}" does not exist (it may have been deleted)'],
  'err.alreadyExists': ['{kind}「{name}」已存在，请换一个名称', '{kind} "{name}" already exists: choose another name'],
  'err.conflict': ['对象已被他人修改，请刷新后重试', 'Someone else changed it meanwhile: refresh and try again'],
  'err.invalid': ['填写的内容不符合要求，请按提示修改', 'Some fields are not valid: see the hints'],
  'err.tooLarge': ['提交的内容过大', 'What was sent is too large'],
  'err.tooMany': ['操作过于频繁，请 {seconds} 秒后重试', 'Too many attempts: try again in {seconds} s'],
  'err.unavailable': ['服务暂时不可用，请稍后重试', 'The service is unavailable for now: try again shortly'],
  'err.internal': ['服务器内部错误，请联系管理员查看服务日志', 'The server failed: ask an administrator to look at its log'],
  'err.expired': ['数据已过期，请刷新页面', 'What was shown is out of date: refresh the page'],
  'err.network': ['无法连接到服务器，请检查网络', 'Cannot reach the server: check the network'],
  'err.failed': ['请求失败（HTTP {code}）', 'The request failed (HTTP {code})'],
  'err.unexpected': ['发生了意外错误', 'Something unexpected went wrong'],
  'syncErr.notFound': ['源镜像仓库中找不到该镜像或标签，请检查镜像仓库路径和标签。', 'The image or tag is not at the source: check the repository path and tag.'],
  'syncErr.auth': ['镜像源拒绝了访问：凭证缺失、错误或权限不足，请在「镜像源」中检查凭证。', 'The registry refused access: credentials are missing, wrong or lack rights; check them under Registries.'],
  'syncErr.tls': ['TLS 证书校验失败：请在镜像源中配置 CA 证书，或确认地址正确。', 'TLS verification failed: give the registry\'s CA certificate, or check the address.'],
  'syncErr.transient': ['网络或镜像源暂时故障，重试后仍未成功；稍后会自动再试。', 'The network or registry failed and retries did not help; it will be tried again later.'],
  'syncErr.integrity': ['收到的数据与摘要不符，已丢弃，未写入任何内容。', 'The data did not match its digest: it was discarded and nothing was written.'],
  'syncErr.policy': ['镜像未通过签名校验，未被同步。', 'The image failed its signature check and was not synced.'],
  'syncErr.unsupported': ['镜像格式不受支持。', 'The image format is not supported.'],
  'syncErr.unsafe': ['镜像源返回了不安全或无效的内容，已拒绝。', 'The registry sent unsafe or invalid content: refused.'],
  'syncErr.registry': ['镜像源返回了错误。', 'The registry answered with an error.'],
  'syncErr.timeout': ['同步超时（超过同步超时时间）。', 'The sync timed out (its sync timeout passed).'],
  'syncErr.tags': ['部分跟踪的标签同步失败，详见各标签状态。', 'Some followed tags failed: see each tag\'s status.'],
  'syncErr.tagList': ['无法读取源镜像仓库的标签列表，只同步了明确列出的标签。', 'The source\'s tag list could not be read: only the listed tags were synced.'],
  'syncErr.other': ['同步失败。', 'The sync failed.'],
  'common.serverMessage': ['服务器原始信息', 'The server\'s message'],
  'kind.repository': ['镜像', 'Image'],
  'kind.registry': ['镜像源', 'Registry'],
  'kind.object': ['对象', 'Object'],

  'form.discardTitle': ['放弃未保存的内容？', 'Discard what you entered?'],
  'form.discardBody': ['表单中已填写的内容尚未保存，关闭后将丢失。', 'The form holds input that is not saved; closing loses it.'],
  'form.discard': ['放弃并关闭', 'Discard and close'],
  'form.keepEditing': ['继续编辑', 'Keep editing'],

  'common.ok': ['确定', 'OK'],
  'common.cancel': ['取消', 'Cancel'],
  'common.save': ['保存', 'Save'],
  'common.edit': ['编辑', 'Edit'],
  'common.delete': ['删除', 'Delete'],
  'common.retry': ['重试', 'Retry'],
  'common.refresh': ['刷新', 'Refresh'],
  'common.close': ['关闭', 'Close'],
  'common.back': ['返回', 'Back'],
  'common.yes': ['是', 'Yes'],
  'common.no': ['否', 'No'],
  'common.none': ['—', '—'],
  'common.actions': ['操作', 'Actions'],
  'common.moreActions': ['更多操作：{name}', 'More actions for {name}'],
  'common.loading': ['加载中…', 'Loading…'],
  'common.loadFailed': ['加载失败：', 'Could not load: '],
  'common.saved': ['已保存', 'Saved'],
  'common.deleted': ['已删除 {name}', 'Deleted {name}'],
  'common.required': ['必填', 'Required'],
  'common.search': ['搜索', 'Search'],
  'common.andMore': ['……以及另外 {n} 个', '…and {n} more'],
  'common.details': ['详情', 'Details'],
  'common.copy': ['复制', 'Copy'],
  'common.copied': ['已复制', 'Copied'],

  'ns.all': ['全部项目', 'All projects'],
  'ns.label': ['命名空间', 'Namespace'],

  'status.Success': ['已同步', 'Synced'],
  'status.Syncing': ['同步中', 'Syncing'],
  'status.Failed': ['同步失败', 'Failed'],
  'status.Pending': ['未同步', 'Not synced'],

  'repo.title': ['镜像管理', 'Images'],
  'repo.subtitle': ['将远程镜像仓库中的镜像同步到边缘集群，并查看同步状态与历史。', 'Sync images from remote registries to the edge and watch their status and history.'],
  'repo.add': ['添加镜像', 'Add image'],
  'repo.searchPlaceholder': ['搜索名称、显示名称或镜像路径', 'Search name, display name or image path'],
  'repo.col.name': ['名称', 'Name'],
  'repo.col.namespace': ['命名空间', 'Namespace'],
  'repo.col.registry': ['镜像源', 'Registry'],
  'repo.col.path': ['镜像路径', 'Image path'],
  'repo.col.lastSynced': ['最后同步时间', 'Last synced'],
  'repo.col.status': ['同步状态', 'Sync status'],
  'repo.col.signed': ['签名', 'Signature'],
  'signed.verified': ['签名有效', 'Signed'],
  'signed.unsigned': ['未签名', 'Unsigned'],
  'signed.invalid': ['签名无效', 'Invalid signature'],
  'signed.not-checked': ['未检查', 'Not checked'],
  'signed.required': ['必须签名', 'Required'],
  'signed.keys': ['{n} 个公钥', '{n} public key(s)'],
  'repo.loaded': ['已加载 {n} / 共 {total} 条', 'Loaded {n} of {total}'],
  'repo.allLoaded': ['已全部加载', 'All loaded'],
  'repo.loadMore': ['加载更多', 'Load more'],
  'repo.loadingMore': ['正在加载更多…', 'Loading more…'],
  'repo.selected': ['已选择 {n} 项', '{n} selected'],
  'repo.deleteSelected': ['删除选中', 'Delete selected'],
  'repo.clearSelection': ['取消选择', 'Clear selection'],
  'repo.empty': ['还没有镜像。点击右上角「添加镜像」开始同步第一个镜像。', 'No images yet. Click “Add image” at the top right to sync your first one.'],
  'repo.emptyNoRegistry': ['请先在「镜像源」中添加镜像源，再添加镜像。', 'Add a registry under “Registries” first, then add images.'],
  'repo.emptySearch': ['没有匹配「{q}」的镜像。试试其他关键词或选择「全部项目」。', 'No image matches “{q}”. Try another word or “All projects”.'],
  'repo.goRegistries': ['前往镜像源', 'Go to registries'],
  'repo.syncNow': ['立即同步', 'Sync now'],
  'repo.syncStarted': ['已开始同步 {name}', 'Sync of {name} started'],
  'repo.syncAlready': ['{name} 正在同步，完成后将再同步一次', '{name} is already syncing; it will sync again when done'],
  'repo.editInfo': ['编辑信息', 'Edit information'],
  'repo.viewDetails': ['查看详情', 'View details'],
  'repo.deleteTitle': ['删除镜像', 'Delete image'],
  'repo.deleteWarn': ['删除镜像配置不会删除已拉取到节点的镜像，但自动同步将停止。', 'Deleting the configuration does not remove images already pulled to nodes, but automatic syncing stops.'],
  'repo.deleteTypeName': ['请输入镜像名称 {name} 以确认删除', 'Type the image name {name} to confirm'],
  'repo.batchDeleteTitle': ['批量删除镜像', 'Delete images'],
  'repo.batchDeleteTypeCount': ['将删除 {n} 个镜像。请输入删除数量 {n} 以确认', '{n} images will be deleted. Type the number {n} to confirm'],
  'repo.batchDeleted': ['已删除 {n} 个镜像', 'Deleted {n} images'],
  'repo.batchDeletePartial': ['已删除 {ok} 个，{failed} 个失败：{names}', 'Deleted {ok}, {failed} failed: {names}'],
  'repo.confirmInput': ['确认输入', 'Confirmation'],
  'repo.editTitle': ['编辑信息：{name}', 'Edit information: {name}'],
  'repo.editNote': ['镜像源、镜像路径和标签不能修改；如需修改，请删除后重新创建。', 'Registry, path and tag cannot change; delete and re-create the image to change them.'],

  'form.name': ['名称', 'Name'],
  'form.nameHelp': ['镜像的唯一标识：小写字母、数字、“-”和“.”，例如 nginx-latest', 'Unique id: lowercase letters, digits, “-” and “.”, e.g. nginx-latest'],
  'form.displayName': ['显示名称', 'Display name'],
  'form.displayNamePlaceholder': ['例如 Nginx 最新版本', 'e.g. Nginx latest'],
  'form.namespace': ['命名空间', 'Namespace'],
  'form.namespaceHelp': ['选择已有命名空间或输入新的命名空间', 'Pick an existing namespace or type a new one'],
  'form.description': ['描述', 'Description'],
  'form.descriptionPlaceholder': ['例如 Nginx web 服务器', 'e.g. Nginx web server'],
  'form.registry': ['镜像源', 'Registry'],
  'form.registryPlaceholder': ['选择已配置的镜像源', 'Pick a configured registry'],
  'form.registryNone': ['该命名空间还没有镜像源', 'No registry in this namespace yet'],
  'form.repository': ['镜像仓库', 'Repository'],
  'form.repositoryHelp': ['镜像的完整路径，例如 library/nginx', 'Full image path, e.g. library/nginx'],
  'form.tag': ['镜像标签', 'Tag'],
  'form.syncInterval': ['同步间隔', 'Sync interval'],
  'form.syncIntervalHelp': ['Go 时长格式，例如 30m、1h、24h（默认 1h，至少 10s）', 'Go duration such as 30m, 1h, 24h (default 1h, at least 10s)'],
  'form.advanced': ['高级设置', 'Advanced settings'],
  'form.syncTimeout': ['同步超时', 'Sync timeout'],
  'form.syncTimeoutHelp': ['默认 10m', 'Default 10m'],
  'form.retryCount': ['重试次数', 'Retry count'],
  'form.retryCountHelp': ['默认 3，0–10', 'Default 3, 0–10'],
  'form.mirrorRegistry': ['镜像目标仓库', 'Mirror to registry'],
  'form.mirrorRegistryHelp': ['每次同步时把镜像复制到该镜像源（只传输变化的层）', 'Copy the image into this registry on every sync (only changed layers move)'],
  'form.mirrorPath': ['目标路径', 'Mirror path'],
  'form.mirrorPathHelp': ['默认与源路径相同', 'Defaults to the source path'],
  'form.mirrorTag': ['目标标签', 'Mirror tag'],
  'form.noMirror': ['不镜像', 'No mirror'],
  'form.err.dns1123': ['只能包含小写字母、数字、“-”和“.”，且以字母或数字开头和结尾（最多 253 个字符）', 'Use lowercase letters, digits, “-” and “.”, starting and ending with a letter or digit (max 253)'],
  'form.err.dns1123label': ['只能包含小写字母、数字和“-”，且以字母或数字开头和结尾（最多 63 个字符）', 'Use lowercase letters, digits and “-”, starting and ending with a letter or digit (max 63)'],
  'form.err.duration': ['请输入 Go 时长，例如 30m、1h（至少 {min}）', 'Enter a Go duration such as 30m or 1h (at least {min})'],
  'form.err.path': ['请输入小写的镜像路径，例如 library/nginx', 'Enter a lowercase image path such as library/nginx'],
  'form.err.tag': ['标签最多 128 个字符：字母、数字、“_”、“.”、“-”，不能以“.”或“-”开头', 'Tags are up to 128 of [A-Za-z0-9_.-], not starting with “.” or “-”'],
  'form.err.server': ['服务器拒绝了请求：{msg}', 'The server refused: {msg}'],
  'form.created': ['已添加 {name}，首次同步已排队', 'Added {name}; its first sync is queued'],

  'detail.basic': ['基本信息', 'Basic information'],
  'detail.history': ['同步历史', 'Sync history'],
  'detail.manifest': ['镜像清单', 'Manifest'],
  'detail.dependencies': ['依赖关系', 'Dependencies'],
  'detail.notFound': ['镜像 {name} 不存在或已被删除。', 'Image {name} does not exist or was deleted.'],
  'detail.backToList': ['返回镜像列表', 'Back to the list'],
  'detail.image': ['镜像', 'Image'],
  'detail.registryRef': ['镜像源', 'Registry'],
  'detail.created': ['创建时间', 'Created'],
  'detail.nextSync': ['下次同步', 'Next sync'],
  'detail.digest': ['摘要', 'Digest'],
  'detail.message': ['同步信息', 'Message'],
  'detail.failureTitle': ['同步失败原因', 'Why the sync failed'],
  'detail.mirror': ['镜像目标', 'Mirror'],
  'detail.clusterRef': ['集群引用地址', 'Cluster reference'],
  'detail.refPinned': ['按摘要（推荐）', 'By digest (recommended)'],
  'detail.refTagged': ['按标签', 'By tag'],
  'detail.refSource': ['未配置镜像目标：集群直接从源镜像仓库拉取。', 'No mirror: the cluster pulls from the source registry.'],
  'detail.refNotYet': ['首次同步成功后显示。', 'Shown after the first successful sync.'],
  'detail.signature': ['签名验证', 'Signature check'],
  'detail.health': ['可用性', 'Health'],
  'detail.pullable': ['可拉取', 'Pullable'],
  'detail.notPullable': ['不可拉取', 'Not pullable'],
  'run.name': ['运行', 'Run'],
  'run.trigger': ['触发方式', 'Trigger'],
  'run.start': ['开始时间', 'Started'],
  'run.duration': ['耗时', 'Duration'],
  'run.result': ['结果', 'Result'],
  'run.bytes': ['传输量', 'Bytes moved'],
  'run.layers': ['层变化', 'Layers'],
  'run.layersAddedRemoved': ['+{a} / −{r}', '+{a} / −{r}'],
  'run.empty': ['还没有同步记录。', 'No sync runs yet.'],
  'run.log': ['同步日志：{name}', 'Sync log: {name}'],
  'run.logEmpty': ['该次同步没有日志。', 'This run has no log lines.'],
  'run.trigger.create': ['创建', 'Create'],
  'run.trigger.scheduled': ['定时', 'Scheduled'],
  'run.trigger.manual': ['手动', 'Manual'],
  'run.trigger.retry': ['重试', 'Retry'],
  'run.trigger.recovery': ['恢复', 'Recovery'],
  'run.phase.Queued': ['排队中', 'Queued'],
  'run.phase.Running': ['运行中', 'Running'],
  'run.phase.Succeeded': ['成功', 'Succeeded'],
  'run.phase.Failed': ['失败', 'Failed'],
  'run.phase.Interrupted': ['中断', 'Interrupted'],
  'manifest.failed': ['同步失败，暂无清单。失败原因见页面上方；修复后点击「立即同步」。', 'The sync failed, so there is no manifest: the reason is above; fix it and press Sync now.'],
  'manifest.empty': ['尚未同步，暂无清单。同步成功后将显示各平台的清单。', 'Not synced yet: the manifest appears after a successful sync.'],
  'manifest.platform': ['平台', 'Platform'],
  'manifest.size': ['大小', 'Size'],
  'manifest.created': ['构建时间', 'Built'],
  'manifest.layers': ['层（{n}）', 'Layers ({n})'],
  'manifest.layerDigest': ['层摘要', 'Layer digest'],
  'manifest.layerSize': ['大小', 'Size'],
  'manifest.mediaType': ['媒体类型', 'Media type'],
  'deps.help': ['与本镜像共享镜像层的其他镜像（基于已加载的 {n} 个镜像计算）。', 'Other images that share layers with this one (computed over the {n} loaded images).'],
  'deps.shared': ['共享层数', 'Shared layers'],
  'deps.sharedBytes': ['共享大小', 'Shared size'],
  'deps.empty': ['没有其他镜像与本镜像共享镜像层。', 'No other image shares layers with this one.'],
  'deps.notSynced': ['同步成功后才能计算依赖关系。', 'Dependencies are computed after a successful sync.'],

  'reg.title': ['镜像源', 'Registries'],
  'reg.subtitle': ['配置镜像同步所使用的远程镜像仓库及其访问凭证。', 'The remote registries images are synced from, with their credentials.'],
  'reg.add': ['添加镜像源', 'Add registry'],
  'reg.editTitle': ['编辑镜像源：{name}', 'Edit registry: {name}'],
  'reg.col.name': ['名称', 'Name'],
  'reg.col.url': ['地址', 'URL'],
  'reg.col.auth': ['认证', 'Credentials'],
  'reg.col.status': ['连接状态', 'Connection'],
  'reg.col.checked': ['检查时间', 'Checked'],
  'reg.anonymous': ['匿名', 'Anonymous'],
  'reg.url': ['地址', 'URL'],
  'reg.urlHelp': ['例如 https://harbor.example.com 或 registry.example.com:5000', 'e.g. https://harbor.example.com or registry.example.com:5000'],
  'reg.insecure': ['跳过 TLS 证书校验', 'Skip TLS verification'],
  'reg.plainHTTP': ['使用 HTTP（不加密）', 'Use plain HTTP'],
  'reg.caBundle': ['CA 证书（PEM）', 'CA bundle (PEM)'],
  'reg.proxy': ['代理', 'Proxy'],
  'reg.proxyHelp': ['例如 http://proxy.example.com:3128；填 none 表示直连；留空则使用服务端的 HTTPS_PROXY 环境变量', 'e.g. http://proxy.example.com:3128; none connects directly; empty uses the server\'s HTTPS_PROXY'],
  'reg.username': ['用户名', 'Username'],
  'reg.password': ['密码', 'Password'],
  'reg.passwordUnchanged': ['不修改（已设置）', 'unchanged (set)'],
  'reg.passwordHelp': ['密码只写不读：保存后不会再显示。留空保持不变。', 'Write-only: never shown again. Leave empty to keep it.'],
  'reg.clearPassword': ['清除已保存的密码', 'Remove the saved password'],
  'reg.test': ['测试连接', 'Test connection'],
  'reg.testing': ['正在测试…', 'Testing…'],
  'reg.reachable': ['可访问', 'Reachable'],
  'reg.unreachable': ['不可访问', 'Unreachable'],
  'reg.authenticated': ['认证成功', 'Authenticated'],
  'reg.notAuthenticated': ['认证失败', 'Not authenticated'],
  'reg.unknown': ['未检查', 'Not checked'],
  'reg.testResult': ['连接测试结果：{name}', 'Connection test: {name}'],
  'reg.testOk': ['连接成功', 'Connection works'],
  'reg.testOkAnonymous': ['连接成功（匿名访问）', 'Connection works (anonymous)'],
  'reg.testSummaryOk': ['已使用保存的凭证登录该镜像源。', 'Signed in to the registry with the stored credentials.'],
  'reg.testSummaryAnonymous': ['该镜像源允许匿名访问，未要求凭证，因此没有验证保存的凭证。', 'The registry lets anyone in: it asked for no credentials, so the stored ones were not tried.'],
  'reg.testSummaryAuthFailed': ['该镜像源要求认证，但凭证缺失或被拒绝。请在「编辑」中填写正确的用户名和密码。', 'The registry wants credentials and they are missing or were refused: set them under Edit.'],
  'reg.testSummaryUnreachable': ['无法连接到该地址。请检查地址、网络、证书或代理设置。', 'Cannot reach that address: check the URL, network, certificate or proxy.'],
  'reg.reachability': ['连通性', 'Reachability'],
  'reg.authentication': ['认证', 'Authentication'],
  'reg.anonymousAccess': ['匿名访问（未使用凭证）', 'Anonymous (no credentials used)'],
  'reg.authNotChecked': ['未检查（无法连接）', 'Not checked (unreachable)'],
  'reg.testFail': ['连接失败', 'Connection failed'],
  'reg.empty': ['还没有镜像源。添加一个镜像源，然后就可以添加要同步的镜像。', 'No registries yet. Add one, then add images to sync from it.'],
  'reg.deleteTitle': ['删除镜像源', 'Delete registry'],
  'reg.deleteWarn': ['引用此镜像源的镜像将无法同步。', 'Images that use this registry will fail to sync.'],
  'reg.deleteTypeName': ['请输入镜像源名称 {name} 以确认删除', 'Type the registry name {name} to confirm'],
  'reg.created': ['已添加镜像源 {name}', 'Added registry {name}'],
  'reg.pullSecret': ['拉取凭证', 'Pull secret'],
  'reg.pullSecretTitle': ['创建镜像拉取凭证：{name}', 'Create an image pull secret: {name}'],
  'reg.secretName': ['Secret 名称', 'Secret name'],
  'reg.kubeNamespace': ['集群命名空间', 'Cluster namespace'],
  'reg.pullSecretHelp': ['在集群中为 {server} 创建 imagePullSecret（用户 {user}）。密码不会由服务端提供：请先设置环境变量 PASSWORD 为您自己的密码，再运行命令。', 'Creates an imagePullSecret for {server} (user {user}) in the cluster. The server never provides the password: set PASSWORD to your own password, then run the command.'],
  'reg.pullSecretTug': ['使用 tug（密码经标准输入传递，推荐）', 'With tug (the password goes through standard input; recommended)'],
  'reg.pullSecretKubectl': ['使用 kubectl（密码会出现在 kubectl 的命令行参数中）', 'With kubectl (the password is on kubectl\'s command line)'],
} as const satisfies Messages;

/**
 * Every message, the shell's above and each area's from its own file under
 * messages/ (one file per area, so that pages are added without touching
 * the others' strings). A key is unique across all of them.
 */
const dict = {
  ...coreMessages,
  ...importMessages,
  ...listMessages,
  ...detailMessages,
  ...overviewMessages,
  ...adminMessages,
} as const satisfies Messages;

export type MessageKey = keyof typeof dict;
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

const LANG_KEY = 'tugboat.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // no storage: default
  }
  return 'zh';
}

export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const entry = dict[key];
  let s: string = entry ? entry[lang === 'zh' ? 0 : 1] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t: Translate;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars) }), [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
