/** The fleet: the nodes Tessera knows (today the local machine; remote workers later). */
export { LocalNode, osProbe, type LocalNodeView, type NodeProbe, type NodeSample } from './local-node.js';
