import { mount } from 'svelte';
import './styles/theme.css';
import './styles/dialogs.css';
import './styles/panels.css';
import App from './App.svelte';
import { connect } from './lib/api';

const target = document.getElementById('app');
if (!target) throw new Error('Maskwright: #app is missing from index.html');

const { client, transport } = connect();
mount(App, { target, props: { client, transport } });
